import GridModel

/// Where a point meets the network: the nearest point on the nearest edge (not the nearest node).
public struct SnapPoint: Sendable, Hashable {
    /// Edge index in the graph (input position of the edge).
    public var edge: Int32
    /// Distance along the edge from its source node, in the edge's stored length (0 … length).
    public var offset: Meters
    /// Straight-line distance from the snapped point to the network.
    public var offNetwork: Meters
    /// The point on the edge.
    public var location: Coordinate

    public init(edge: Int32, offset: Meters, offNetwork: Meters, location: Coordinate) {
        self.edge = edge
        self.offset = offset
        self.offNetwork = offNetwork
        self.location = location
    }
}
