import GridModel

/// Which connected parts of the walking network points may join.
///
/// A network is often in pieces: an extract's edge cuts ways into stubs, a river has no bridge in the data, a
/// gated compound's paths are not joined to the street. Stubs must not strand the buildings beside them (a
/// building that snaps to a 30 m fragment reaches nothing), but a whole district or compound in a part of its
/// own must keep its coverage. So parts come in two tiers:
/// - *major*: the largest part, and every part whose walkways add up to at least `minimumLength`. A point joins
///   the nearest edge of any major part within the snap limit.
/// - *fallback*: a smaller part that holds a facility no major part is within reach of (its nearest edge within the
///   snap limit lies in the part). Only a point that no major part is within reach of joins it: the facility and
///   its neighbours reach each other instead of both being off the network, and nothing near a major part is
///   stranded on a stub.
/// Other parts are joined by nothing.
public struct NetworkParts: Sendable {
    /// Walkways a part needs to be major: a district or a large compound has this much; the stubs an extract's
    /// clipping leaves have far less (on the Helsinki extract the longest cut-off piece is 535 m).
    public static let minimumLength = Meters(1000)

    public struct Part: Sendable, Hashable {
        /// The graph's component number.
        public var component: Int32
        public var nodes: Int
        /// Sum of the part's edge lengths.
        public var length: Meters
        /// A facility no major part is within reach of joins this part (judged only for parts that are not major).
        public var holdsFacility: Bool
        public var isLargest: Bool
        /// Joined by any point within the snap limit.
        public var isMajor: Bool
        /// Joined only by points no major part is within reach of.
        public var isFallback: Bool
    }

    /// Every component of the graph, in component order.
    public let parts: [Part]

    /// The index over the major parts, when it was built to judge the facilities (a network in several parts);
    /// the reach rule's snapper reuses it rather than indexing the same edges again.
    public let majorSnapper: EdgeSnapper?

    /// Per component: joined by any point.
    public var major: [Bool] { parts.map(\.isMajor) }
    /// Per component: joined by points no major part is within reach of.
    public var fallback: [Bool] { parts.map(\.isFallback) }

    /// - Parameters:
    ///   - facilities: positions of the facilities (any category); a stranded one makes the small part it joins a fallback.
    ///   - snapLimit: how far a facility may lie from the network and still join it (the reach rule's).
    public init(graph: WalkingGraph, facilities: [Coordinate], snapLimit: Meters) {
        let count = graph.componentSizes.count
        var lengths = [Double](repeating: 0, count: count)
        for e in 0..<graph.edgeCount {
            lengths[Int(graph.componentOfNode[Int(graph.edgeSources[e])])] += graph.edgeLengths[e]
        }
        var held = [Int](repeating: 0, count: count)
        let isMajor = (0..<count).map { Int32($0) == graph.largestComponent || lengths[$0] >= Self.minimumLength.value }
        var majorSnapper: EdgeSnapper?
        // Only facilities no major part is within reach of make a small part a fallback; a connected network skips this.
        if isMajor.contains(false) && !facilities.isEmpty {
            let majorParts = EdgeSnapper(graph: graph, usableComponents: isMajor)
            majorSnapper = majorParts
            let stranded = zip(facilities, majorParts.snap(facilities, maxDistance: snapLimit)).compactMap { $1 == nil ? $0 : nil }
            if !stranded.isEmpty {
                for snap in EdgeSnapper(graph: graph).snap(stranded, maxDistance: snapLimit) {
                    guard let snap else { continue }
                    held[Int(Self.component(of: snap, in: graph))] += 1
                }
            }
        }
        self.majorSnapper = majorSnapper
        parts = (0..<count).map { c in
            let largest = Int32(c) == graph.largestComponent
            let major = isMajor[c]
            return Part(component: Int32(c), nodes: graph.componentSizes[c], length: Meters(lengths[c]), holdsFacility: held[c] > 0,
                        isLargest: largest, isMajor: major, isFallback: !major && held[c] > 0)
        }
    }

    /// The component of the edge a point snapped to.
    public static func component(of snap: SnapPoint, in graph: WalkingGraph) -> Int32 {
        graph.componentOfNode[Int(graph.edgeSources[Int(snap.edge)])]
    }
}
