"""The posting engine: parser specs, value transforms, request rendering and answer classification.

Pure functions only: no Qt, no database, no network, no files beyond the bundled presets.
"""
