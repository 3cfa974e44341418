"""The improvement workflow: departments, issues raised from themes, fix tickets and their state machine."""
