import GridModel

/// One walking-network edge as stored: OSM junction ids (64-bit), full geometry
/// (first point = source junction, last point = target junction) and length.
public struct NetworkEdge: Sendable, Hashable {
    public var id: Int64
    public var sourceNode: Int64
    public var targetNode: Int64
    public var length: Meters
    public var geometry: [Coordinate]

    public init(id: Int64, sourceNode: Int64, targetNode: Int64, length: Meters, geometry: [Coordinate]) {
        self.id = id
        self.sourceNode = sourceNode
        self.targetNode = targetNode
        self.length = length
        self.geometry = geometry
    }
}

/// Errors raised when indexes handed to the searches do not belong to the graph.
public enum GridAnalysisError: Error, Hashable, Sendable {
    case edgeIndexOutOfRange(Int32)
    case nodeIndexOutOfRange(Int32)
}
