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

/// Queued labels by band of distance, for searches whose every arc spans at least two bands (`SearchWorkspace.run`).
/// Bands live in a ring of slots as long as the longest arc plus a margin, each slot's memory kept between searches;
/// an entry beyond the ring (never, by `Layout`'s bound, but kept rather than lost) waits in `far`.
struct BandQueue {
    struct Band {
        var entries: UnsafeMutablePointer<HeapEntry>
        var count: Int
        var capacity: Int
    }

    /// How keys map to bands for one search.
    struct Layout {
        /// Bands per metre: two over the shortest searched arc.
        let scale: Double
        /// The last band a key within the horizon can fall in.
        let lastBand: Int
        /// Slots in the ring: a power of two above the bands one arc spans.
        let slots: Int

        /// nil where bands do not serve: no finite horizon, an arc of zero length, or too many bands.
        init?(horizon: Double, arcWeights: (shortest: Double, longest: Double)) {
            guard horizon.isFinite, horizon >= 0, arcWeights.shortest > 0, arcWeights.longest.isFinite else { return nil }
            let scale = 2 / arcWeights.shortest
            let bands = horizon * scale, spanned = arcWeights.longest * scale
            guard scale.isFinite, bands < Double(1 << 22), spanned < Double(1 << 22) else { return nil }
            self.scale = scale
            lastBand = Int(bands)
            // An offer from band k lands below band k + spanned + 2: keys and scale are rounded once each.
            var slots = 1
            while slots < min(lastBand + 1, Int(spanned.rounded(.up)) + 3) { slots <<= 1 }
            self.slots = slots
        }

        /// The band of a key within the horizon (the last band for anything else: never a trap).
        @inline(__always) func band(_ key: Double) -> Int {
            let scaled = key * scale
            return scaled >= 0 && scaled < Double(lastBand) ? Int(scaled) : lastBand
        }
    }

    private var ring: UnsafeMutablePointer<Band> = .allocate(capacity: 0)
    private var ringCapacity = 0
    private var mask = 0
    private var far: [(entry: HeapEntry, band: Int)] = []
    private var farLowest = Int.max

    /// Whether far entries have come within the ring of band `current`.
    @inline(__always) func farComesNear(_ current: Int) -> Bool { farLowest - current <= mask }

    /// Makes the ring at least `layout.slots` long, every band empty.
    mutating func prepare(_ layout: Layout) {
        if layout.slots > ringCapacity {
            let bigger = UnsafeMutablePointer<Band>.allocate(capacity: layout.slots)
            bigger.moveInitialize(from: ring, count: ringCapacity)
            for s in ringCapacity..<layout.slots { (bigger + s).initialize(to: Band(entries: .allocate(capacity: 64), count: 0, capacity: 64)) }
            ring.deallocate()
            ring = bigger
            ringCapacity = layout.slots
        }
        mask = layout.slots - 1
        clear()
    }

    mutating func clear() {
        for s in 0..<ringCapacity { ring[s].count = 0 }
        far.removeAll(keepingCapacity: true)
        farLowest = .max
    }

    func deallocate() {
        for s in 0..<ringCapacity { ring[s].entries.deallocate() }
        ring.deallocate()
    }

    @inline(__always) func slot(_ band: Int) -> Int { band & mask }
    @inline(__always) func count(_ slot: Int) -> Int { ring[slot].count }
    @inline(__always) func entries(_ slot: Int) -> UnsafeMutablePointer<HeapEntry> { ring[slot].entries }
    @inline(__always) func empty(_ slot: Int) { ring[slot].count = 0 }

    /// Queues an entry of `band` while band `current` is being settled (a band below it joins the current one).
    @inline(__always) mutating func push(_ entry: HeapEntry, band: Int, current: Int) {
        let band = max(band, current)
        if band - current > mask {
            far.append((entry, band))
            farLowest = min(farLowest, band)
            return
        }
        let s = band & mask
        if ring[s].count == ring[s].capacity { grow(s) }
        ring[s].entries[ring[s].count] = entry
        ring[s].count += 1
    }

    /// Moves the far entries now within the ring into their bands.
    mutating func bringNear(current: Int) {
        let waiting = far
        far.removeAll(keepingCapacity: true)
        farLowest = .max
        for item in waiting { push(item.entry, band: item.band, current: current) }
    }

    @inline(never) private mutating func grow(_ s: Int) {
        let capacity = ring[s].capacity * 2
        let bigger = UnsafeMutablePointer<HeapEntry>.allocate(capacity: capacity)
        bigger.moveInitialize(from: ring[s].entries, count: ring[s].count)
        ring[s].entries.deallocate()
        ring[s].entries = bigger
        ring[s].capacity = capacity
    }
}

/// A node settled in a band, with its arcs' range.
struct SettledNode {
    var key: Double
    var rank: Int32
    var firstArc: Int32
    var endArc: Int32
}

/// Memory for one pass's items, kept between passes and searches.
struct Scratch<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element> = .allocate(capacity: 0)
    private var capacity = 0

    /// Room for `count` items; what was there is not kept.
    @inline(__always) mutating func reserve(_ count: Int) {
        guard count > capacity else { return }
        base.deallocate()
        capacity = max(count, 2 * capacity)
        base = .allocate(capacity: capacity)
    }

    func deallocate() { base.deallocate() }
}

/// A node's label in a search: its tentative distance, the facility rank it comes from, and the generation that
/// wrote it. One 16-byte record, so relaxing an arc reads and writes one cache line of the target rather than three
/// arrays' lines.
struct NodeLabel {
    var distance: Double
    var rank: Int32
    var stamp: UInt32

    /// Whether an offer of `distance` from the facility of `rank` replaces this label in the search of `generation`:
    /// a label of an earlier search is no label; a shorter distance wins, and an equal one from a lower rank.
    @inline(__always) func yields(to distance: Double, rank: Int32, generation: UInt32) -> Bool {
        stamp != generation || distance < self.distance || (distance == self.distance && rank < self.rank)
    }
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
    var bands = BandQueue()
    var settled = Scratch<SettledNode>()
    var offers = Scratch<HeapEntry>()

    public init() {
        labels = .allocate(capacity: 1)
    }

    deinit {
        labels.deallocate()
        heap.deallocate()
        bands.deallocate()
        settled.deallocate()
        offers.deallocate()
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
        if !label.yields(to: key, rank: r, generation: generation) { return }
        labels[n] = NodeLabel(distance: key, rank: r, stamp: generation)
        heap.push(HeapEntry(key: key, rank: r, node: node))
    }

    /// Dijkstra (1959) from the queued labels: every reached node is settled once, with its final label, and
    /// offers each neighbour its distance plus the arc, never labelling a node beyond `horizon`; a label is
    /// lowered only by a shorter distance, or an equal one from a lower facility rank.
    ///
    /// Every label comes from the same offers whatever order final labels are settled in, so the order is chosen
    /// for speed: when every searched arc spans at least two bands of `BandQueue` the labels of the lowest band
    /// are final and settle together (Dial 1969), their memory reads overlapping; otherwise, or without a finite
    /// horizon, a 4-ary heap settles them in (distance, rank) order.
    ///
    /// Dead ends (`WalkingGraph.deadEnds`) are not queued from their neighbour: once the queue is empty each
    /// gets the offer its neighbour's settled label would have made, by the same comparison, so every label is
    /// the one the plain search gives. A dead end seeded itself is still queued and settled, as it may carry its
    /// facility to its neighbour; its neighbour's offer back is then a sum at least as long, never a better label.
    func run(_ graph: WalkingGraph, horizon: Double, isCancelled: () -> Bool) throws {
        if let layout = BandQueue.Layout(horizon: horizon, arcWeights: graph.searchedArcWeights) {
            try runInBands(graph, horizon: horizon, layout: layout, isCancelled: isCancelled)
        } else {
            try runWithHeap(graph, horizon: horizon, isCancelled: isCancelled)
        }
        labelDeadEnds(graph, horizon: horizon)
    }

    /// `run` by the heap: settles nodes in (distance, rank) order.
    func runWithHeap(_ graph: WalkingGraph, horizon: Double, isCancelled: () -> Bool) throws {
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
                        if arc.intoDeadEnd { continue }
                        let key = top.key + arc.weight
                        if key > horizon { continue }
                        let v = Int(arc.target)
                        let label = labels[v]
                        if !label.yields(to: key, rank: top.rank, generation: generation) { continue }
                        labels[v] = NodeLabel(distance: key, rank: top.rank, stamp: generation)
                        heap.push(HeapEntry(key: key, rank: top.rank, node: arc.target))
                    }
                }
            }
        }
    }

    /// `run` by bands: the seeds queued on the heap move to their bands, then band after band every entry that is
    /// still its node's label is settled. An offer from band k lands in band k + 1 or later (`BandQueue.Layout`), so
    /// no label of a band changes once the band is reached.
    func runInBands(_ graph: WalkingGraph, horizon: Double, layout: BandQueue.Layout, isCancelled: () -> Bool) throws {
        let labels = self.labels, generation = self.generation
        var bands = self.bands
        defer { self.bands = bands }
        bands.prepare(layout)
        var lowest = Int.max, highest = -1
        let queued = UnsafeBufferPointer(start: heap.base, count: heap.count)
        for entry in queued {
            let band = layout.band(entry.key)
            lowest = min(lowest, band)
            highest = max(highest, band)
        }
        heap.count = 0
        guard highest >= 0 else { return }
        for i in 0..<queued.count { bands.push(queued[i], band: layout.band(queued[i].key), current: lowest) }
        var settled = self.settled, offers = self.offers
        defer { self.settled = settled; self.offers = offers }
        var pops = 0, nextPoll = 0
        try graph.arcStart.withUnsafeBufferPointer { start in
            try graph.arcs.withUnsafeBufferPointer { arcs in
                var k = lowest
                while k <= highest {
                    if bands.farComesNear(k) { bands.bringNear(current: k) }
                    let slot = bands.slot(k)
                    var done = 0
                    // A band in three passes, each a loop of independent reads that the processor overlaps: the
                    // entries still their node's label, then their offers within the horizon, then each offer
                    // against its node's label. Offers made here land in later bands, so the order of the passes
                    // makes the same label updates as settling one node after the other.
                    while done < bands.count(slot) {
                        let end = bands.count(slot)
                        settled.reserve(end - done)
                        let entries = bands.entries(slot)
                        var count = 0, arcTotal = 0
                        for i in done..<end {
                            let top = entries[i]
                            let u = Int(top.node)
                            // Stale entry: the node was relabelled after this was queued.
                            let label = labels[u]
                            if label.distance != top.key || label.rank != top.rank { continue }
                            let first = start[u], last = start[u + 1]
                            (settled.base + count).initialize(to: SettledNode(key: top.key, rank: top.rank, firstArc: first, endArc: last))
                            count += 1
                            arcTotal += Int(last - first)
                        }
                        done = end
                        if pops >= nextPoll && count > 0 {
                            nextPoll = pops + 4096
                            if isCancelled() {
                                bands.clear()
                                throw CancellationError()
                            }
                        }
                        pops += count
                        offers.reserve(arcTotal)
                        var offerCount = 0
                        for n in 0..<count {
                            let node = settled.base[n]
                            var a = Int(node.firstArc)
                            let last = Int(node.endArc)
                            while a < last {
                                let arc = arcs[a]
                                a += 1
                                if arc.intoDeadEnd { continue }
                                let key = node.key + arc.weight
                                if key > horizon { continue }
                                (offers.base + offerCount).initialize(to: HeapEntry(key: key, rank: node.rank, node: arc.target))
                                offerCount += 1
                            }
                        }
                        for o in 0..<offerCount {
                            let offer = offers.base[o]
                            let v = Int(offer.node)
                            let label = labels[v]
                            if !label.yields(to: offer.key, rank: offer.rank, generation: generation) { continue }
                            labels[v] = NodeLabel(distance: offer.key, rank: offer.rank, stamp: generation)
                            let band = layout.band(offer.key)
                            highest = max(highest, band)
                            bands.push(offer, band: band, current: k)
                        }
                    }
                    bands.empty(slot)
                    k += 1
                }
            }
        }
    }

    /// Each dead end's offer from its settled neighbour, as `run` would have made it when settling the neighbour.
    func labelDeadEnds(_ graph: WalkingGraph, horizon: Double) {
        let labels = self.labels, generation = self.generation
        graph.deadEnds.withUnsafeBufferPointer { deadEnds in
            for end in deadEnds {
                let from = labels[Int(end.neighbour)]
                if from.stamp != generation { continue }
                let key = from.distance + end.weight
                if key > horizon { continue }
                let v = Int(end.node)
                let label = labels[v]
                if !label.yields(to: key, rank: from.rank, generation: generation) { continue }
                labels[v] = NodeLabel(distance: key, rank: from.rank, stamp: generation)
            }
        }
    }
}
