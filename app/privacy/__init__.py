"""Privacy on a shared computer: owner-only folders and files, secrets kept out of output."""
