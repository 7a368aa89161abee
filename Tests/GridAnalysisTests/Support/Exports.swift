// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport
