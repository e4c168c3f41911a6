"""Sub-commands of the ``rfsym`` command line, one module each."""
