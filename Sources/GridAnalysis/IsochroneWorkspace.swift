import GridModel

/// Reusable memory for isochrones: the search labels, the reached segments, the grid and the tracing
/// buffers. Buffers only grow, so a server or a benchmark that keeps one workspace per thread or task
/// allocates nothing per request once warm.
///
/// One workspace serves one request at a time.
public final class IsochroneWorkspace {
    let search = SearchWorkspace()

    /// Reached network pieces as straight segments in the request's local frame.
    var reach = ReachBuffers()

    /// Grid samples (least cost at each), and the reached mask of one contour with marks on grid edges traced.
    private(set) var cellCapacity = 0
    var values: UnsafeMutablePointer<Float>
    var mask: UnsafeMutablePointer<UInt8>
    /// Bits per sample, row by row in 64-bit words: reached in every contour (see `stampEverywhere`).
    private(set) var wordCapacity = 0
    var everywhere: UnsafeMutablePointer<UInt64>
    /// The ring that crosses each traced grid edge, for the nesting sweep.
    var ringOfEdge: UnsafeMutablePointer<Int32>

    /// Traced rings: vertices in half-cell units.
    var ringX = ContiguousArray<Int32>()
    var ringY = ContiguousArray<Int32>()
    /// Per vertex: the neighbouring contours pass through it too, so it is never merged away.
    var pinned = ContiguousArray<Bool>()

    /// Self-loop edges by node for the graph last used (the adjacency arrays leave them out).
    var loopGraph: WalkingGraph?
    var loopNodes = ContiguousArray<Int32>()
    var loopEdges = ContiguousArray<Int32>()

    public init() {
        values = .allocate(capacity: 1)
        mask = .allocate(capacity: 1)
        ringOfEdge = .allocate(capacity: 1)
        everywhere = .allocate(capacity: 1)
    }

    deinit {
        values.deallocate()
        mask.deallocate()
        ringOfEdge.deallocate()
        everywhere.deallocate()
    }

    /// Makes room for `count` words of sample bits (contents undefined).
    func reserveWords(_ count: Int) {
        guard count > wordCapacity else { return }
        everywhere.deallocate()
        wordCapacity = max(count, wordCapacity * 3 / 2)
        everywhere = .allocate(capacity: wordCapacity)
    }

    /// Makes room for `count` grid samples (contents undefined).
    func reserveCells(_ count: Int) {
        guard count > cellCapacity else { return }
        values.deallocate(); mask.deallocate(); ringOfEdge.deallocate()
        cellCapacity = max(count, cellCapacity * 3 / 2)
        values = .allocate(capacity: cellCapacity)
        mask = .allocate(capacity: cellCapacity)
        ringOfEdge = .allocate(capacity: cellCapacity)
    }
}
