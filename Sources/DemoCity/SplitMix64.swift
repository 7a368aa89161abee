import GridModel

/// District helpers on the shared generator, so that the same parameters always give the same district.
extension SplitMix64 {
    /// An independent stream for one part of the district, so that changing one part leaves the others alone.
    init(seed: UInt64, stream: UInt64, index: UInt64 = 0) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        let a = mixer.next()
        var mixer2 = SplitMix64(seed: a ^ (index &* 0x9E37_79B9_7F4A_7C15))
        self.init(seed: mixer2.next())
    }

    mutating func double(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func index(_ count: Int) -> Int { Int(next() % UInt64(max(count, 1))) }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Fisher–Yates with this generator (the standard library's shuffle may change between releases).
    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = index(i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}
