"""Work that runs in processes of its own, beside the web process."""
