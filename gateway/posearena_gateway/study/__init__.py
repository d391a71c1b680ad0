"""Studies: many sessions (subjects × exercises × trials) run as run directories and pooled
into one table with subject-clustered intervals.

Modules: `sessions` (manifest CSV, UI-PRMD layout), `run` (resumable, failure-isolated,
optionally parallel execution), `aggregate` (pooled agreement per pipeline × angle ×
exercise). The command is `posearena study` (`commands.study`).
"""
