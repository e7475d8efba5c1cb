"""The vision-learner-anatomy walkthrough (seed 003): its steps are in steps.toml."""
