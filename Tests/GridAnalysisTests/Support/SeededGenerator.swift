import GridModel

/// The tests' seeded generator: the project's SplitMix64.
typealias SeededGenerator = SplitMix64
