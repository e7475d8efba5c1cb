"A tiny stand-in for fastai, for stable TUI snapshots."
