"""The Linux boundary: every ctypes call, syscall number and mount flag of buildah-py lives here.

Nothing in this package knows about images; everything above it reaches the kernel through it.
"""
