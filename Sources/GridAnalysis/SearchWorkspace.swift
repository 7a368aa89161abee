/// Heap entry: tentative distance, facility rank (ties) and node.
struct HeapEntry {
    var key: Double
    var rank: Int32
    var node: Int32

    /// Labels are ordered by (distance, facility rank) so equal distances go to the lowest facility id.
    @inline(__always) func precedes(_ other: HeapEntry) -> Bool {
        key < other.key || (key == other.key && rank < other.rank)
    }
}

/// 4-ary min-heap (d-ary heaps: Johnson 1975) over raw memory. Entries are never updated in place:
/// an improved label is pushed again and the stale entry skipped when it surfaces.
struct QuadHeap {
    var base: UnsafeMutablePointer<HeapEntry>
    var count = 0
    var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func deallocate() { base.deallocate() }

    @inline(__always) mutating func push(_ entry: HeapEntry) {
        if count == capacity { grow() }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 2
            let p = base[parent]
            if !entry.precedes(p) { break }
            base[i] = p
            i = parent
        }
        base[i] = entry
    }

    @inline(__always) mutating func pop() -> HeapEntry {
        let top = base[0]
        count -= 1
        let n = count
        if n == 0 { return top }
        let last = base[n]
        var i = 0
        while true {
            let first = 4 * i + 1
            if first >= n { break }
            var best = first
            var bestEntry = base[first]
            if first + 3 < n {
                // Full family: four comparisons without bounds tests.
                let e1 = base[first + 1], e2 = base[first + 2], e3 = base[first + 3]
                if e1.precedes(bestEntry) { best = first + 1; bestEntry = e1 }
                if e2.precedes(bestEntry) { best = first + 2; bestEntry = e2 }
                if e3.precedes(bestEntry) { best = first + 3; bestEntry = e3 }
            } else {
                var c = first + 1
                while c < n {
                    let e = base[c]
                    if e.precedes(bestEntry) { best = c; bestEntry = e }
                    c += 1
                }
            }
            if !bestEntry.precedes(last) { break }
            base[i] = bestEntry
            i = best
        }
        base[i] = last
        return top
    }

    @inline(never) private mutating func grow() {
        let bigger = UnsafeMutablePointer<HeapEntry>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}

/// A node's label in a search: its tentative distance, the facility rank it comes from, and the generation that
/// wrote it. One 16-byte record, so relaxing an arc reads and writes one cache line of the target rather than three
/// arrays' lines.
struct NodeLabel {
    var distance: Double
    var rank: Int32
    var stamp: UInt32
}

/// Reusable memory for the searches: per-node labels stamped with a generation counter (a new search
/// bumps the counter instead of clearing the labels) and the heap.
///
/// One workspace serves one search at a time; keep one per thread or task to avoid reallocating
/// the per-node labels between searches on the same graph.
public final class SearchWorkspace {
    private(set) var capacity = 0
    var labels: UnsafeMutablePointer<NodeLabel>
    var generation: UInt32 = 0
    var heap = QuadHeap(capacity: 1024)

    public init() {
        labels = .allocate(capacity: 1)
    }

    deinit {
        labels.deallocate()
        heap.deallocate()
    }

    /// Starts a search over `nodeCount` nodes: every label becomes "unreached".
    func begin(nodeCount: Int) {
        heap.count = 0
        if nodeCount > capacity {
            labels.deallocate()
            capacity = nodeCount
            labels = .allocate(capacity: capacity)
            labels.initialize(repeating: NodeLabel(distance: 0, rank: 0, stamp: 0), count: capacity)
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            labels.update(repeating: NodeLabel(distance: 0, rank: 0, stamp: 0), count: capacity)
            generation = 1
        }
    }

    @inline(__always) func isReached(_ node: Int) -> Bool { labels[node].stamp == generation }
    /// The node's distance and rank; meaningful only when `isReached`.
    @inline(__always) func distance(_ node: Int) -> Double { labels[node].distance }
    @inline(__always) func rank(_ node: Int) -> Int32 { labels[node].rank }

    /// Lowers the label of `node` to (key, rank) if that is better and queues it.
    func offer(_ node: Int32, _ key: Double, _ r: Int32) {
        let n = Int(node)
        let label = labels[n]
        if label.stamp == generation {
            if !(key < label.distance || (key == label.distance && r < label.rank)) { return }
        }
        labels[n] = NodeLabel(distance: key, rank: r, stamp: generation)
        heap.push(HeapEntry(key: key, rank: r, node: node))
    }

    /// Dijkstra (1959) from the queued labels: settles nodes in (distance, rank) order, never labelling a
    /// node beyond `horizon`. A node whose label improves after it was settled (possible only through
    /// floating-point rounding) is queued again, so the result is always a fixed point.
    func run(_ graph: WalkingGraph, horizon: Double, isCancelled: () -> Bool) throws {
        // Locals, so the loop works on registers rather than the object's fields.
        let labels = self.labels, generation = self.generation
        var heap = self.heap
        defer { self.heap = heap }
        var pops = 0
        try graph.arcStart.withUnsafeBufferPointer { start in
            try graph.arcs.withUnsafeBufferPointer { arcs in
                while heap.count > 0 {
                    let top = heap.pop()
                    let u = Int(top.node)
                    // Stale entry: the node was relabelled after this was queued.
                    let settled = labels[u]
                    if settled.distance != top.key || settled.rank != top.rank { continue }
                    if pops & 4095 == 0 && isCancelled() {
                        heap.count = 0
                        throw CancellationError()
                    }
                    pops += 1
                    var a = Int(start[u])
                    let end = Int(start[u + 1])
                    while a < end {
                        let arc = arcs[a]
                        a += 1
                        let key = top.key + arc.weight
                        if key > horizon { continue }
                        let v = Int(arc.target)
                        let label = labels[v]
                        if label.stamp == generation {
                            if !(key < label.distance || (key == label.distance && top.rank < label.rank)) { continue }
                        }
                        labels[v] = NodeLabel(distance: key, rank: top.rank, stamp: generation)
                        heap.push(HeapEntry(key: key, rank: top.rank, node: arc.target))
                    }
                }
            }
        }
    }
}
