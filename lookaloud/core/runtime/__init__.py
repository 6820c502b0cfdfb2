"""Where the models run: the one compute thread for PyTorch work (``compute``), number formats
for this CPU (``dtypes``), returning memory to the system (``memory``), and finding, fetching
and checking model files on the Hugging Face hub or in local folders (``hub``)."""
