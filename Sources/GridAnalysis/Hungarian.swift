/// Best one-to-one assignment of rows to columns: the Hungarian method (Kuhn 1955, Munkres 1957) in its O(n³)
/// shortest-augmenting-path form with row and column potentials (Jonker & Volgenant 1987; Edmonds & Karp 1972).
public enum Hungarian {
    /// For each row, the column it is assigned to, maximising the summed weight; -1 for rows left over when there
    /// are more rows than columns. Rectangular matrices are fine; every row must have the same length.
    public static func maximumWeightMatching(_ weights: [[Double]]) -> [Int] {
        let rows = weights.count, columns = weights.first?.count ?? 0
        guard rows > 0, columns > 0 else { return Array(repeating: -1, count: rows) }
        // The augmenting-path form needs rows ≤ columns: solve the transpose otherwise.
        if rows > columns {
            let transposed = (0..<columns).map { c in (0..<rows).map { r in weights[r][c] } }
            let columnToRow = maximumWeightMatching(transposed)
            var result = [Int](repeating: -1, count: rows)
            for (c, r) in columnToRow.enumerated() where r >= 0 { result[r] = c }
            return result
        }
        // Minimise −weight. 1-based arrays: row 0 / column 0 are the sentinel of the search.
        let n = rows, m = columns
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var rowOfColumn = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            rowOfColumn[0] = i
            var j0 = 0
            var minimum = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = rowOfColumn[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = -weights[i0 - 1][j - 1] - u[i0] - v[j]
                    if reduced < minimum[j] { minimum[j] = reduced; way[j] = j0 }
                    if minimum[j] < delta { delta = minimum[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[rowOfColumn[j]] += delta; v[j] -= delta } else { minimum[j] -= delta }
                }
                j0 = j1
            } while rowOfColumn[j0] != 0
            // Flip the augmenting path back to the sentinel.
            repeat {
                let j1 = way[j0]
                rowOfColumn[j0] = rowOfColumn[j1]
                j0 = j1
            } while j0 != 0
        }
        var result = [Int](repeating: -1, count: n)
        for j in 1...m where rowOfColumn[j] > 0 { result[rowOfColumn[j] - 1] = j - 1 }
        return result
    }
}
