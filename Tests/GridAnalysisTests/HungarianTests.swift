import GridAnalysis
import Testing

@Suite("Hungarian matching")
struct HungarianTests {
    static func total(_ weights: [[Double]], _ match: [Int]) -> Double {
        match.enumerated().reduce(0) { $0 + ($1.element >= 0 ? weights[$1.offset][$1.element] : 0) }
    }

    /// Every injective assignment of the smaller side, by recursion: the true optimum.
    static func bruteForce(_ weights: [[Double]]) -> Double {
        let rows = weights.count, columns = weights.first?.count ?? 0
        var best = 0.0
        func go(_ row: Int, _ used: Set<Int>, _ sum: Double) {
            if row == rows { best = max(best, sum); return }
            // A row may stay unmatched only when there are more rows than columns.
            if rows - row > columns - used.count { go(row + 1, used, sum) }
            for c in 0..<columns where !used.contains(c) { go(row + 1, used.union([c]), sum + weights[row][c]) }
        }
        go(0, [], 0)
        return best
    }

    @Test("a known 3×3 answer: greedy would take the 9 and lose")
    func known() {
        let weights: [[Double]] = [[9, 8, 0],
                                   [8, 0, 0],
                                   [0, 0, 1]]
        let match = Hungarian.maximumWeightMatching(weights)
        #expect(match == [1, 0, 2])
        #expect(Self.total(weights, match) == 17)
    }

    @Test("rectangular: more columns than rows, and more rows than columns")
    func rectangular() {
        let wide: [[Double]] = [[1, 5, 3, 0],
                                [4, 6, 0, 2]]
        #expect(Hungarian.maximumWeightMatching(wide) == [1, 0])
        let tall: [[Double]] = [[1, 4], [5, 6], [3, 0], [0, 2]]
        let match = Hungarian.maximumWeightMatching(tall)
        #expect(match == [1, 0, -1, -1])
        #expect(match.filter { $0 >= 0 }.count == 2 && Set(match.filter { $0 >= 0 }).count == 2)
    }

    @Test("equals brute force on 300 random matrices up to 6×6, square and rectangular")
    func randomAgainstBruteForce() {
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for trial in 0..<300 {
            let rows = 1 + next() % 6, columns = 1 + next() % 6
            // Small integer weights make ties frequent, which is where matching code tends to break.
            let weights = (0..<rows).map { _ in (0..<columns).map { _ in Double(next() % (trial % 3 == 0 ? 4 : 100)) } }
            let match = Hungarian.maximumWeightMatching(weights)
            let columnsUsed = match.filter { $0 >= 0 }
            #expect(Set(columnsUsed).count == columnsUsed.count, "one-to-one")
            #expect(columnsUsed.count == min(rows, columns), "as many pairs as the smaller side")
            #expect(Self.total(weights, match) == Self.bruteForce(weights), "trial \(trial): \(weights)")
        }
    }

    @Test("empty matrices")
    func empty() {
        #expect(Hungarian.maximumWeightMatching([]) == [])
        #expect(Hungarian.maximumWeightMatching([[], []]) == [-1, -1])
    }
}
