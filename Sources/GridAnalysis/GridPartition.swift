import Foundation
import GridModel

/// Balanced, contiguous partition of a community's buildings into grids, starting from the current plan.
///
/// The graph is building adjacency (the buildings' cells sharing boundary, so that a connected grid is one polygon);
/// weights are households. The method is
/// region growing by recursive bisection (as in GerryChain's `recursive_tree_part`, DeFord, Duchin & Solomon 2021,
/// but on a geometric sweep instead of a random spanning tree) for grids that must be created, then a local search
/// of single boundary-building flips (the "flip" chain of the same authors, run greedily) whose cost is, in order of
/// weight: households outside [min, max], squared deviation from the target, households moved from their grid
/// (stability) and squared distance to the grid's weighted centroid (compactness, a moment-of-inertia proxy for
/// Polsby–Popper). A flip never disconnects a grid, and grids never span two disconnected parts of the graph.
public struct GridPartition: Sendable {
    public struct Problem: Sendable {
        public var households: [Int]
        /// Positions in metres (any local projection).
        public var x: [Double]
        public var y: [Double]
        /// Undirected edges between building indices.
        public var edges: [(Int, Int)]
        /// Current grid per building (any non-negative label), or -1 where none.
        public var initial: [Int]
        public var minimum: Int
        public var maximum: Int
        /// Overrides the range-derived count when set.
        public var gridCount: Int?
        /// 0 = compactness only, 1 = stability only.
        public var stability: Double
        /// Upper bound on local-search passes.
        public var passes: Int
        /// The buildings' cells (same indices), when known: compactness is then the grids' Polsby–Popper itself
        /// instead of the centroid-distance proxy.
        public var tiling: CellTiling?

        public init(households: [Int], x: [Double], y: [Double], edges: [(Int, Int)], initial: [Int]? = nil,
                    minimum: Int, maximum: Int, gridCount: Int? = nil, stability: Double = 0.7, passes: Int = 60,
                    tiling: CellTiling? = nil) {
            self.households = households; self.x = x; self.y = y; self.edges = edges
            self.initial = initial ?? Array(repeating: -1, count: households.count)
            self.minimum = minimum; self.maximum = maximum; self.gridCount = gridCount
            self.stability = stability; self.passes = passes; self.tiling = tiling
        }
    }

    public struct Result: Sendable {
        /// Grid per building, 0..<gridCount.
        public var labels: [Int]
        public var gridCount: Int
        /// For each new grid, the initial label it keeps most households of (one-to-one), or -1.
        public var origin: [Int]
        /// Connected parts of the adjacency graph.
        public var components: Int
        public var typedWarnings: [Warning]
    }

    public static func solve(_ problem: Problem) -> Result {
        var state = State(problem)
        return state.run()
    }

    struct State {
        let p: Problem
        let n: Int
        var adjacency: [[Int]]
        var label: [Int]
        var load: [Int] = []
        var sumX: [Double] = [], sumY: [Double] = [], sumW: [Double] = []
        /// Per grid, with a tiling: area and outline length of its union of cells (metres).
        var area: [Double] = [], outline: [Double] = []
        /// Per grid, the households of its buildings above the maximum (usually none).
        var oversized: [[Int]] = []
        var warnings: [Warning] = []
        let target: Double
        var scale2 = 1.0

        init(_ problem: Problem) {
            p = problem
            n = problem.households.count
            var adjacency = [[Int]](repeating: [], count: n)
            for (a, b) in problem.edges where a != b && a >= 0 && b >= 0 && a < n && b < n {
                adjacency[a].append(b); adjacency[b].append(a)
            }
            self.adjacency = adjacency.map { Array(Set($0)).sorted() }
            label = Array(repeating: -1, count: n)
            target = Double(problem.minimum + problem.maximum) / 2
        }

        func components() -> [[Int]] {
            var seen = [Bool](repeating: false, count: n)
            var result: [[Int]] = []
            for start in 0..<n where !seen[start] {
                var part = [start]; seen[start] = true
                var i = 0
                while i < part.count {
                    for m in adjacency[part[i]] where !seen[m] { seen[m] = true; part.append(m) }
                    i += 1
                }
                result.append(part)
            }
            return result
        }

        mutating func run() -> Result {
            let parts = components()
            let total = p.households.reduce(0, +)
            var counts: [Int] = [], middles: [Int] = []
            for (index, part) in parts.enumerated() {
                let weight = part.reduce(0) { $0 + p.households[$1] }
                counts.append(gridCount(part: part, weight: weight, total: total, parts: parts.count))
                middles.append(p.gridCount == nil ? middleCount(part: part, weight: weight) : counts[index])
                if parts.count > 1 && weight < p.minimum {
                    warnings.append(.partBelowMinimum(part: index + 1, buildings: part.count, households: weight))
                }
            }
            for v in 0..<n where p.households[v] > p.maximum {
                warnings.append(.buildingAboveMaximum(building: v, households: p.households[v], maximum: p.maximum))
            }
            var best: (outside: Int, label: [Int], count: Int)?
            for _ in 0..<6 {
                let count = plan(parts: parts, counts: counts)
                let outside = totalViolation(count)
                if best == nil || outside < best!.outside { best = (outside, label, count) }
                // A part still out of range tries one grid more or fewer, toward the middle of its feasible counts:
                // the count nearest the current plan can be too tight once buildings are atomic.
                var retry = false
                for (i, part) in parts.enumerated() where counts[i] != middles[i] {
                    if Set(part.map { label[$0] }).contains(where: { violation($0) > 0 }) {
                        counts[i] += middles[i] > counts[i] ? 1 : -1
                        retry = true
                    }
                }
                guard outside > 0, retry else { break }
            }
            label = best!.label
            rebuildSums(count: best!.count)
            if let tiling = p.tiling { polish(count: best!.count, tiling) }
            let origin = matchOrigins(count: best!.count)
            return Result(labels: label, gridCount: best!.count, origin: origin, components: parts.count, typedWarnings: warnings)
        }

        /// Seeds `counts[i]` grids in each part, then improves them; returns the number of grids.
        mutating func plan(parts: [[Int]], counts: [Int]) -> Int {
            label = Array(repeating: -1, count: n)
            var next = 0
            for (part, count) in zip(parts, counts) { next = seed(part: part, count: count, firstLabel: next) }
            rebuildSums(count: next)
            scale2 = max(1, bounds() / Double(max(next, 1)))
            localSearch(count: next)
            // Flips stall where every single move would push a neighbour out of range; chains get past that.
            for _ in 0..<3 where repair(count: next) {
                localSearch(count: next)
            }
            if walkToFeasible(count: next) { localSearch(count: next) }
            return next
        }

        /// The feasible count with the most room on both sides, given atomic buildings.
        func middleCount(part: [Int], weight: Int) -> Int {
            let big = part.filter { p.households[$0] > p.maximum }
            let rest = weight - big.reduce(0) { $0 + p.households[$1] }
            return max(1, big.count + Int((Double(rest) / target).rounded()))
        }

        func gridCount(part: [Int], weight: Int, total: Int, parts: Int) -> Int {
            if let wanted = p.gridCount {
                // Shared among disconnected parts by weight, at least one each.
                return max(1, Int((Double(wanted) * Double(weight) / Double(max(total, 1))).rounded()))
            }
            // A building above the maximum fills a grid alone (atomic), so the others share what is left.
            let big = part.filter { p.households[$0] > p.maximum }
            let rest = weight - big.reduce(0) { $0 + p.households[$1] }
            let low = big.count + (rest + p.maximum - 1) / p.maximum, high = big.count + rest / max(p.minimum, 1)
            let current = Set(part.map { p.initial[$0] }.filter { $0 >= 0 }).count
            if low <= high {
                // From a current plan, the feasible count nearest to it (fewest merges or splits); from scratch, the middle.
                if current > 0 { return max(1, current.clamped(low, high)) }
                return max(1, Int((Double(weight) / target).rounded()).clamped(low, high))
            }
            return max(1, Int((Double(weight) / target).rounded()))
        }

        /// Labels one connected part with exactly `count` contiguous grids; returns the next free label.
        mutating func seed(part: [Int], count: Int, firstLabel: Int) -> Int {
            let members = Set(part)
            // Start from the current plan, each label restricted to its largest connected piece.
            var groups: [Int: [Int]] = [:]
            for v in part where p.initial[v] >= 0 { groups[p.initial[v], default: []].append(v) }
            var regions: [[Int]] = []
            for key in groups.keys.sorted() {
                let pieces = connectedPieces(groups[key]!)
                if let best = pieces.max(by: { weight($0) < weight($1) || (weight($0) == weight($1) && $0.count < $1.count) }) {
                    regions.append(best)
                }
            }
            var owner = [Int: Int]()
            for (r, region) in regions.enumerated() { for v in region { owner[v] = r } }
            if regions.isEmpty {
                regions = [part]
                for v in part { owner[v] = 0 }
            } else {
                // Unplaced buildings join the region of their nearest placed neighbour (breadth first).
                var queue = part.filter { owner[$0] != nil }
                var i = 0
                while i < queue.count {
                    let v = queue[i]; i += 1
                    for m in adjacency[v] where members.contains(m) && owner[m] == nil {
                        owner[m] = owner[v]; regions[owner[v]!].append(m); queue.append(m)
                    }
                }
            }
            func merge(_ lightest: Int) -> Bool {
                var neighbours = Set<Int>()
                for v in regions[lightest] { for m in adjacency[v] { if let o = owner[m], o != lightest { neighbours.insert(o) } } }
                // Ties go to the lower index: a set's order differs from run to run.
                guard let into = neighbours.min(by: { (weight(regions[$0]), $0) < (weight(regions[$1]), $1) }) else { return false }
                for v in regions[lightest] { owner[v] = into }
                regions[into] += regions[lightest]
                regions[lightest] = []
                regions.remove(at: lightest)
                for (r, region) in regions.enumerated() { for v in region { owner[v] = r } }
                return true
            }
            func split(_ heaviest: Int) -> Bool {
                let (a, b) = bisect(regions[heaviest], share: 0.5)
                guard !a.isEmpty, !b.isEmpty else { return false }
                regions[heaviest] = a
                regions.append(contentsOf: b)
                for (r, region) in regions.enumerated() { for v in region { owner[v] = r } }
                return true
            }
            // Merge the lightest region into its lightest neighbour until few enough.
            while regions.count > count {
                let lightest = regions.indices.min { weight(regions[$0]) < weight(regions[$1]) }!
                guard merge(lightest) else { break }
            }
            // Split the heaviest region until enough: recursive bisection by a geometric sweep.
            while regions.count < count {
                // A lone building cannot be split, however heavy (one above the maximum is a grid of its own).
                guard let heaviest = regions.indices.filter({ regions[$0].count > 1 }).max(by: { weight(regions[$0]) < weight(regions[$1]) }),
                      split(heaviest) else { break }
            }
            // At the right count, a region below half the minimum that no neighbour's surplus over the maximum can fill
            // would become a grid only by taking households from neighbours that then take theirs from the next ones; a
            // region above the maximum that holds two grids' worth has to be split anyway. Merging the one and
            // splitting the other moves far fewer households: the split's new grid takes the small grid's place (its
            // identity under the one-to-one matching of new grids to current ones).
            func stranded(_ r: Int) -> Bool {
                let w = weight(regions[r])
                guard 2 * w < p.minimum else { return false }
                var neighbours = Set<Int>()
                for v in regions[r] { for m in adjacency[v] { if let o = owner[m], o != r { neighbours.insert(o) } } }
                return !neighbours.contains { weight(regions[$0]) - p.maximum >= p.minimum - w }
            }
            func splittable(_ r: Int) -> Bool {
                let w = weight(regions[r])
                return regions[r].count > 1 && w > p.maximum && w >= 2 * p.minimum
            }
            for _ in 0..<count {
                guard regions.indices.contains(where: splittable),
                      let lightest = regions.indices.filter(stranded).min(by: { weight(regions[$0]) < weight(regions[$1]) }),
                      merge(lightest),
                      let heaviest = regions.indices.filter(splittable).max(by: { weight(regions[$0]) < weight(regions[$1]) }),
                      split(heaviest) else { break }
            }
            for (r, region) in regions.enumerated() { for v in region { label[v] = firstLabel + r } }
            return firstLabel + regions.count
        }

        func weight(_ nodes: [Int]) -> Int { nodes.reduce(0) { $0 + p.households[$1] } }

        func connectedPieces(_ nodes: [Int]) -> [[Int]] {
            let inside = Set(nodes)
            var seen = Set<Int>()
            var pieces: [[Int]] = []
            for start in nodes where !seen.contains(start) {
                var piece = [start]; seen.insert(start)
                var i = 0
                while i < piece.count {
                    for m in adjacency[piece[i]] where inside.contains(m) && !seen.contains(m) { seen.insert(m); piece.append(m) }
                    i += 1
                }
                pieces.append(piece)
            }
            return pieces
        }

        /// Grows a connected part from the extreme building along the longer axis, always taking the frontier
        /// building lowest on that axis, until it holds `share` of the weight; the rest is returned as its
        /// connected pieces (the largest first), so both sides stay contiguous.
        func bisect(_ nodes: [Int], share: Double) -> ([Int], [[Int]]) {
            let xs = nodes.map { p.x[$0] }, ys = nodes.map { p.y[$0] }
            let alongX = (xs.max()! - xs.min()!) >= (ys.max()! - ys.min()!)
            let key: (Int) -> Double = { alongX ? p.x[$0] : p.y[$0] }
            let inside = Set(nodes)
            let total = Double(weight(nodes))
            let start = nodes.min { key($0) < key($1) || (key($0) == key($1) && $0 < $1) }!
            var taken: Set<Int> = [start]
            var grown = [start]
            var sum = Double(p.households[start])
            var frontier = Set(adjacency[start].filter { inside.contains($0) })
            while sum < total * share, let v = frontier.min(by: { key($0) < key($1) || (key($0) == key($1) && $0 < $1) }) {
                frontier.remove(v)
                if taken.contains(v) { continue }
                if sum + Double(p.households[v]) > total * share && sum > 0 && (sum + Double(p.households[v]) - total * share) > (total * share - sum) { break }
                taken.insert(v); grown.append(v); sum += Double(p.households[v])
                for m in adjacency[v] where inside.contains(m) && !taken.contains(m) { frontier.insert(m) }
            }
            let rest = nodes.filter { !taken.contains($0) }
            guard !rest.isEmpty else { return (grown, []) }
            var pieces = connectedPieces(rest).sorted { weight($0) > weight($1) }
            // Small pieces cut off by the sweep join the grown side, which touches them.
            let kept = pieces.removeFirst()
            for piece in pieces { grown += piece }
            return (grown, [kept])
        }

        func bounds() -> Double {
            guard n > 0 else { return 1 }
            let w = (p.x.max()! - p.x.min()!), h = (p.y.max()! - p.y.min()!)
            return max(w * h, 1)
        }

        mutating func rebuildSums(count: Int) {
            load = Array(repeating: 0, count: count)
            sumX = Array(repeating: 0, count: count); sumY = sumX; sumW = sumX; area = sumX; outline = sumX
            oversized = Array(repeating: [], count: count)
            for v in 0..<n { add(v, to: label[v], sign: 1) }
            // Adding one by one would count stretches to cells not yet added; the tiling sums them at once.
            if let tiling = p.tiling { (area, outline) = tiling.outlines(labels: label, count: count) }
        }

        mutating func add(_ v: Int, to g: Int, sign: Int) {
            let w = Double(max(p.households[v], 1)) * Double(sign)
            load[g] += p.households[v] * sign
            sumX[g] += w * p.x[v]; sumY[g] += w * p.y[v]; sumW[g] += w
            if p.households[v] > p.maximum {
                if sign > 0 { oversized[g].append(p.households[v]) } else if let i = oversized[g].firstIndex(of: p.households[v]) { oversized[g].remove(at: i) }
            }
            if let tiling = p.tiling {
                area[g] += tiling.area[v] * Double(sign)
                // Stretches shared with the grid stop (or start) being its outline.
                outline[g] += Double(sign) * (tiling.perimeter[v] - 2 * sharedLength(v, with: g, tiling))
            }
        }

        func sharedLength(_ v: Int, with g: Int, _ tiling: CellTiling) -> Double {
            tiling.shared[v].reduce(0) { $0 + ($1.cell != v && label[$1.cell] == g ? $1.length : 0) }
        }

        /// The grid's upper bound: the maximum, raised to its largest building when that alone is above it (atomic).
        func upper(_ big: [Int]) -> Int { max(p.maximum, big.max() ?? 0) }

        func balanceCost(_ h: Int, upper: Int) -> Double {
            let violation = Double(max(0, h - upper) + max(0, p.minimum - h))
            // A grid held up by one oversized building is best left with that building alone.
            let d = upper > p.maximum ? Double(h - upper) : Double(h) - target
            return violationWeight * violation + d * d / target
        }

        /// Per household outside the range: above any gain a single move can bring in stability or compactness, so
        /// the range comes first.
        let violationWeight = 10_000.0

        func balanceCost(_ g: Int) -> Double { balanceCost(load[g], upper: upper(oversized[g])) }

        func spread(_ v: Int, _ g: Int) -> Double {
            guard sumW[g] > 0 else { return 0 }
            let dx = p.x[v] - sumX[g] / sumW[g], dy = p.y[v] - sumY[g] / sumW[g]
            return (dx * dx + dy * dy) / scale2
        }

        static func polsbyPopper(_ area: Double, _ outline: Double) -> Double { outline > 0 ? 4 * Double.pi * area / (outline * outline) : 0 }

        /// Cost change of moving v from its grid to `b`.
        func delta(_ v: Int, to b: Int) -> Double {
            let a = label[v], w = p.households[v]
            var bigA = oversized[a], bigB = oversized[b]
            if w > p.maximum { bigA.remove(at: bigA.firstIndex(of: w)!); bigB.append(w) }
            var d = balanceCost(load[a] - w, upper: upper(bigA)) + balanceCost(load[b] + w, upper: upper(bigB)) - balanceCost(a) - balanceCost(b)
            let original = p.initial[v]
            if original >= 0 {
                let movedNow = originOf(a) != original, movedAfter = originOf(b) != original
                if movedNow != movedAfter { d += (movedAfter ? 1 : -1) * movedWeight * Double(w) }
            }
            if let tiling = p.tiling {
                // Exact change of the two grids' Polsby–Popper: the cell's stretches shared with a grid are inside it.
                var sharedA = 0.0, sharedB = 0.0
                for (cell, length) in tiling.shared[v] where cell != v {
                    if label[cell] == a { sharedA += length } else if label[cell] == b { sharedB += length }
                }
                let c = tiling.area[v], per = tiling.perimeter[v]
                let gain = Self.polsbyPopper(area[a] - c, outline[a] - per + 2 * sharedA) + Self.polsbyPopper(area[b] + c, outline[b] + per - 2 * sharedB)
                    - Self.polsbyPopper(area[a], outline[a]) - Self.polsbyPopper(area[b], outline[b])
                d -= compactnessWeight * gain
            } else {
                d += 4 * (1 - p.stability) * Double(max(w, 1)) * (spread(v, b) - spread(v, a))
            }
            return d
        }

        /// Cost of one unit of Polsby–Popper summed over grids, in the units of the other terms (a household moved
        /// costs 4·stability): at the default stability, raising one grid's PP by 0.1 is worth moving about 20 households.
        var compactnessWeight: Double { 4 * (1 - p.stability) * target * 1.5 }

        /// Cost of one household moved from its grid.
        var movedWeight: Double { 4 * p.stability }

        var origins: [Int] = []
        func originOf(_ g: Int) -> Int { g < origins.count ? origins[g] : -1 }

        /// True when the grid of v stays connected (and non-empty) without v.
        func removable(_ v: Int) -> Bool {
            let g = label[v]
            let same = adjacency[v].filter { label[$0] == g }
            guard !same.isEmpty else { return false }
            if same.count == 1 { return true }
            var seen: Set<Int> = [same[0], v]
            var queue = [same[0]]
            var remaining = Set(same.dropFirst())
            var i = 0
            while i < queue.count, !remaining.isEmpty {
                for m in adjacency[queue[i]] where label[m] == g && !seen.contains(m) {
                    seen.insert(m); queue.append(m); remaining.remove(m)
                }
                i += 1
            }
            return remaining.isEmpty
        }

        mutating func localSearch(count: Int) {
            origins = matchOrigins(count: count)
            for _ in 0..<p.passes {
                var improved = false
                for v in 0..<n {
                    let a = label[v]
                    var best: (g: Int, d: Double)?
                    for m in adjacency[v] where label[m] != a {
                        let b = label[m]
                        if best?.g == b { continue }
                        let d = delta(v, to: b)
                        if d < -1e-9 && (best == nil || d < best!.d) { best = (b, d) }
                    }
                    guard let best, removable(v) else { continue }
                    add(v, to: a, sign: -1); label[v] = best.g; add(v, to: best.g, sign: 1)
                    improved = true
                }
                if !improved { break }
            }
        }

        /// Households outside the grid's range.
        func violation(_ g: Int) -> Int {
            max(0, load[g] - upper(oversized[g])) + max(0, p.minimum - load[g])
        }

        func totalViolation(_ count: Int) -> Int { (0..<count).reduce(0) { $0 + violation($1) } }

        mutating func move(_ v: Int, to b: Int) {
            add(v, to: label[v], sign: -1); label[v] = b; add(v, to: b, sign: 1)
        }

        /// One building passed from grid to grid.
        struct Step { var building: Int; var from: Int; var to: Int }

        /// Ejection chains (Glover 1996) for grids out of range: a grid above its range passes a boundary building to
        /// a neighbour, which passes one on if that pushes it over, and so on until a grid absorbs it (a grid below
        /// its range pulls the same way). Each step takes the building that best brings the current grid into range
        /// (then the neighbour's state, then the local cost); a chain is kept only if fewer households end outside
        /// the range, otherwise undone. Returns true when something was kept.
        mutating func repair(count: Int) -> Bool {
            var kept = false
            for _ in 0..<(2 * count) {
                let bad = (0..<count).filter { violation($0) > 0 }.sorted { (violation($0), $1) > (violation($1), $0) }
                var improved = false
                for s in bad where violation(s) > 0 && chain(from: s, count: count) { improved = true }
                if !improved { break }
                kept = true
            }
            return kept
        }

        mutating func chain(from start: Int, count: Int) -> Bool {
            let before = totalViolation(count)
            // Depth-first over the best few moves at each grid, so a dead end (a neighbour that can only pass on a
            // building too large) is backed out of and the next option tried.
            var budget = 400
            func search(_ c: Int, _ visited: Set<Int>, _ depth: Int) -> Bool {
                for s in steps(for: c, visited: visited).prefix(depth == 0 ? 6 : 3) {
                    guard budget > 0 else { return false }
                    budget -= 1
                    let next = s.to == c ? s.from : s.to
                    move(s.building, to: s.to)
                    if totalViolation(count) < before { return true }
                    if violation(next) > 0 && depth < 8 && search(next, visited.union([next]), depth + 1) { return true }
                    move(s.building, to: s.from)
                }
                return false
            }
            return search(start, [start], 0)
        }

        /// Moves that bring grid `c` toward its range, best first: a building out to a neighbouring grid when `c` is
        /// above, in from one when below; grids in `visited` are not touched.
        func steps(for c: Int, visited: Set<Int>) -> [Step] {
            let over = load[c] > upper(oversized[c])
            var found: [(step: Step, key: (Int, Int, Double))] = []
            func outside(_ h: Int, _ upper: Int) -> Int { max(0, h - upper) + max(0, p.minimum - h) }
            func consider(_ v: Int, from: Int, to: Int) {
                let w = p.households[v]
                var bigFrom = oversized[from]
                if w > p.maximum { bigFrom.remove(at: bigFrom.firstIndex(of: w)!) }
                let donor = outside(load[from] - w, upper(bigFrom)), receiver = outside(load[to] + w, max(upper(oversized[to]), w))
                found.append((Step(building: v, from: from, to: to), over ? (donor, receiver, delta(v, to: to)) : (receiver, donor, delta(v, to: to))))
            }
            for v in 0..<n {
                if over {
                    guard label[v] == c else { continue }
                    var targets = Set<Int>()
                    for m in adjacency[v] where label[m] != c && !visited.contains(label[m]) { targets.insert(label[m]) }
                    guard !targets.isEmpty, removable(v) else { continue }
                    for g in targets.sorted() { consider(v, from: c, to: g) }
                } else {
                    let g = label[v]
                    guard g != c, !visited.contains(g), adjacency[v].contains(where: { label[$0] == c }), removable(v) else { continue }
                    consider(v, from: g, to: c)
                }
            }
            return found.filter { $0.key.0 < violation(c) }
                .sorted { ($0.key.0, $0.key.1, $0.key.2, $0.step.building) < ($1.key.0, $1.key.1, $1.key.2, $1.step.building) }.map(\.step)
        }

        /// Households outside the range of grid g if it held `load` households, `change` of them in building v
        /// (+1 added, −1 removed): buildings above the maximum raise the bound (atomic).
        func violation(_ g: Int, with v: Int, _ change: Int) -> Int {
            let w = p.households[v], h = load[g] + change * w
            var big = oversized[g]
            if w > p.maximum { if change > 0 { big.append(w) } else if let i = big.firstIndex(of: w) { big.remove(at: i) } }
            return max(0, h - upper(big)) + max(0, p.minimum - h)
        }

        /// Change in households outside the range when v moves to grid b.
        func violationChange(_ v: Int, to b: Int) -> Int {
            let a = label[v]
            return violation(a, with: v, -1) + violation(b, with: v, 1) - violation(a) - violation(b)
        }

        /// A random walk of single flips tilted toward the range (Metropolis on households outside it, as GerryChain's
        /// flip chain with a tilt): where every greedy move and every ejection chain makes things worse, a few
        /// uphill steps reach packings of atomic buildings the descent cannot. Keeps the best state; returns true
        /// when it has fewer households outside the range than before.
        mutating func walkToFeasible(count: Int) -> Bool {
            let start = totalViolation(count)
            guard start > 0, count > 1 else { return false }
            var random = SplitMix64(seed: UInt64(n) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(count))
            var outside = start, best = (outside: start, label: label)
            for _ in 0..<(walkStepsPerBuilding * n) {
                let v = random.below(n), neighbours = adjacency[v]
                guard !neighbours.isEmpty else { continue }
                let a = label[v], b = label[neighbours[random.below(neighbours.count)]]
                guard a != b else { continue }
                let change = violationChange(v, to: b)
                // e^(−0.05 per household): a step 20 households uphill is taken about one time in e.
                guard change <= 0 || random.unit() < exp(-0.05 * Double(change)), removable(v) else { continue }
                move(v, to: b)
                outside += change
                if outside < best.outside {
                    best = (outside, label)
                    if outside == 0 { break }
                }
            }
            label = best.label
            rebuildSums(count: count)
            return best.outside < start
        }

        /// Flips tried per building by `walkToFeasible`.
        let walkStepsPerBuilding = 100

        func polsbyPopperSum(_ count: Int) -> Double { (0..<count).reduce(0) { $0 + Self.polsbyPopper(area[$1], outline[$1]) } }

        /// Simulated annealing (Kirkpatrick et al. 1983) of single boundary flips on the search's own cost, from the
        /// plan the descent ended in; never adds households outside the range, never disconnects a grid. Keeps the
        /// cheapest state met. Deterministic (seeded by the problem's size).
        mutating func anneal(count: Int, steps: Int? = nil, hot: Double? = nil) {
            guard count > 1, n > 2 else { return }
            origins = matchOrigins(count: count)
            var random = SplitMix64(seed: UInt64(n) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(count) &+ UInt64(steps ?? 0))
            let steps = steps ?? annealSteps
            let hot = hot ?? annealHot, cold = 0.2
            var cost = 0.0, cheapest = (cost: 0.0, label: label)
            for step in 0..<steps {
                let v = random.below(n), neighbours = adjacency[v]
                guard !neighbours.isEmpty else { continue }
                let a = label[v], b = label[neighbours[random.below(neighbours.count)]]
                guard a != b, violationChange(v, to: b) <= 0 else { continue }
                let temperature = hot * pow(cold / hot, Double(step) / Double(steps))
                let d = delta(v, to: b)
                guard d <= 0 || random.unit() < exp(-d / temperature), removable(v) else { continue }
                move(v, to: b)
                cost += d
                if cost < cheapest.cost - 1e-9 { cheapest = (cost, label) }
            }
            label = cheapest.label
            rebuildSums(count: count)
        }

        let annealStepsPerBuilding = 100
        let annealStepsMax = 20_000
        var annealSteps: Int { min(annealStepsPerBuilding * n, annealStepsMax) }
        /// From about the cost of moving 7 households (down to a tenth of one at the end): early on, a flip that
        /// loses a little compactness or stability is often taken; at the end only improvements are.
        let annealHot = 20.0

        /// Annealing, then the return of moved buildings, each against the best one-to-one matching of new grids to
        /// current grids of the plan it starts from. The changed households are counted under the matching of the
        /// final plan, which the polish itself can change (a grid split off a large one may take over the identity of
        /// a small grid it absorbed): while it does, the polish runs again against the new matching (bounded).
        mutating func polish(count: Int, _ tiling: CellTiling) {
            var matching: [Int] = []
            for round in 0..<polishRounds {
                let rematched = matchOrigins(count: count)
                if rematched == matching { break }
                matching = rematched
                // The first round anneals at full length; later ones start from a plan already annealed.
                if round == 0 { anneal(count: count) } else { anneal(count: count, steps: annealSteps / 4, hot: annealHot / 4) }
                returnHome(count: count, tiling)
            }
        }

        /// Rounds of `polish` at most: each needs the matching to have changed in the one before.
        let polishRounds = 4

        /// Minimal change: buildings that left their grid (the grid matched one-to-one to their current grid) go
        /// back, one at a time, where that lowers the run's weighted cost (households moved, weighed by `stability`,
        /// against summed Polsby–Popper), keeps every grid connected and non-empty and adds no household outside the
        /// range to either grid; with a `floor`, the summed Polsby–Popper also stays at or above it. The return that
        /// lowers the cost most comes first. Returns the buildings returned.
        @discardableResult
        mutating func returnHome(count: Int, floor: Double? = nil, _ tiling: CellTiling) -> Int {
            origins = matchOrigins(count: count)
            var gridOf: [Int: Int] = [:]
            for (g, o) in origins.enumerated() where o >= 0 { gridOf[o] = g }
            var compactness = polsbyPopperSum(count)
            var returned = 0
            while true {
                var best: (v: Int, to: Int, loss: Double, gain: Double)?
                for v in 0..<n {
                    guard p.households[v] > 0, let home = gridOf[p.initial[v]], home != label[v],
                          adjacency[v].contains(where: { label[$0] == home }) else { continue }
                    let from = label[v]
                    guard violation(from, with: v, -1) <= violation(from), violation(home, with: v, 1) <= violation(home) else { continue }
                    let loss = compactness - polsbyPopperSum(afterMoving: v, to: home, tiling, current: compactness)
                    // Only the two terms a return changes: the households it gives back and the compactness it costs.
                    let gain = movedWeight * Double(p.households[v]) - compactnessWeight * loss
                    // The connectivity test last: it is the one that walks the grid.
                    guard gain > 1e-9, floor.map({ compactness - loss >= $0 - 1e-9 }) ?? true,
                          best == nil || gain > best!.gain, removable(v) else { continue }
                    best = (v, home, loss, gain)
                }
                guard let chosen = best else { break }
                move(chosen.v, to: chosen.to)
                compactness -= chosen.loss
                returned += 1
            }
            return returned
        }

        /// Summed Polsby–Popper if v moved to grid b (only v's grid and b change).
        func polsbyPopperSum(afterMoving v: Int, to b: Int, _ tiling: CellTiling, current: Double) -> Double {
            let a = label[v]
            var sharedA = 0.0, sharedB = 0.0
            for (cell, length) in tiling.shared[v] where cell != v {
                if label[cell] == a { sharedA += length } else if label[cell] == b { sharedB += length }
            }
            let c = tiling.area[v], per = tiling.perimeter[v]
            return current - Self.polsbyPopper(area[a], outline[a]) - Self.polsbyPopper(area[b], outline[b])
                + Self.polsbyPopper(area[a] - c, outline[a] - per + 2 * sharedA) + Self.polsbyPopper(area[b] + c, outline[b] + per - 2 * sharedB)
        }

        func matchOrigins(count: Int) -> [Int] {
            GridMetrics.matchOrigins(labels: label, count: count, initial: p.initial, households: p.households)
        }
    }
}

extension Int {
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
