"""Background jobs (consolidation, reflection, decay, backups) and the scheduler running them."""
