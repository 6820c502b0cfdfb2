"""Who writes the description. Each writer streams text for a chat (``base.Writer``):

- ``local``       Qwen3 on this computer through transformers (``decode``, ``sampling``,
                  ``prefix_cache``, ``matmuls``: its measured decoding path)
- ``remote``      an OpenAI-compatible server sent the text facts
- ``remote_vlm``  a vision-language model on such a server sent the picture itself
- ``local_vlm``   Qwen3-VL on this computer through transformers, shown the picture itself

``streaming`` runs a local ``generate`` call on the compute thread and streams its text, with
the cancel checks both local transformers writers share.

The remote writers' public parts: ``openai_api`` (the endpoint and its HTTP client),
``address`` (normalising a server address, the unencrypted-address warning) and ``api_keys``
(the key from the environment or the OS keyring). ``_sse`` is private to them.
"""
