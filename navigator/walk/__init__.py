"""The walkthrough engine: the steps.toml format, running steps, their processes, progress and the shared fastai copy."""
