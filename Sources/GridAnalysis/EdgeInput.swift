import GridModel

/// Read access to edges handed to `WalkingGraph`, so the graph copies each geometry once, straight into
/// its final place, whether the edges come as `NetworkEdge` values or from a `WalkingGraph.Builder`.
protocol EdgeInput {
    var count: Int { get }
    func id(_ i: Int) -> Int64
    func source(_ i: Int) -> Int64
    func target(_ i: Int) -> Int64
    func length(_ i: Int) -> Double
    func pointCount(_ i: Int) -> Int
    func point(_ i: Int, _ k: Int) -> Coordinate
    /// Initialises `pointCount(i)` coordinates at `destination`.
    func copyPoints(_ i: Int, to destination: UnsafeMutablePointer<Coordinate>)
    /// Drops storage no longer needed once the junction ids have been read (a no-op when not owned).
    mutating func releaseEndpoints()
    /// Drops the ids and lengths once they have been copied (a no-op when not owned).
    mutating func releaseAttributes()
    /// Drops all storage once everything has been copied.
    mutating func releaseAll()
}

struct NetworkEdgeInput: EdgeInput {
    let edges: [NetworkEdge]
    var count: Int { edges.count }
    func id(_ i: Int) -> Int64 { edges[i].id }
    func source(_ i: Int) -> Int64 { edges[i].sourceNode }
    func target(_ i: Int) -> Int64 { edges[i].targetNode }
    func length(_ i: Int) -> Double { edges[i].length.value }
    func pointCount(_ i: Int) -> Int { edges[i].geometry.count }
    func point(_ i: Int, _ k: Int) -> Coordinate { edges[i].geometry[k] }
    func copyPoints(_ i: Int, to destination: UnsafeMutablePointer<Coordinate>) {
        edges[i].geometry.withUnsafeBufferPointer { destination.initialize(from: $0.baseAddress!, count: $0.count) }
    }
    // The caller still holds the array.
    mutating func releaseEndpoints() {}
    mutating func releaseAttributes() {}
    mutating func releaseAll() {}
}

extension WalkingGraph.Builder: EdgeInput {
    var count: Int { ids.count }
    func id(_ i: Int) -> Int64 { ids[i] }
    func source(_ i: Int) -> Int64 { sources[i] }
    func target(_ i: Int) -> Int64 { targets[i] }
    func length(_ i: Int) -> Double { lengths[i] }
    func pointCount(_ i: Int) -> Int { Int(geometryStart[i + 1] - geometryStart[i]) }
    func point(_ i: Int, _ k: Int) -> Coordinate { points[Int(geometryStart[i]) + k] }
    func copyPoints(_ i: Int, to destination: UnsafeMutablePointer<Coordinate>) {
        let start = Int(geometryStart[i])
        points.withUnsafeBufferPointer { destination.initialize(from: $0.baseAddress! + start, count: pointCount(i)) }
    }
    mutating func releaseEndpoints() {
        sources = []
        targets = []
    }
    mutating func releaseAttributes() {
        ids = []
        lengths = []
    }
    mutating func releaseAll() { self = WalkingGraph.Builder() }
}
