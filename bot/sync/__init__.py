"""Bot-side sync service: runs connectors, upserts records into the store, keeps cursors and quarantine."""
