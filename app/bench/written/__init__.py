"""`membank-cli bench consolidation`: what the daily job writes, against LoCoMo's gold."""
