"""Tests for buildah_py.isolation."""
