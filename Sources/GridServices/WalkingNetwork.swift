import GridAnalysis
import GridModel
import GridStore

/// The stored walking network with the snapper the reach rule places points with: the one way every job that
/// walks (coverage, isochrones, site suggestion, reports, the server's isochrone snapshot) loads it. Which parts of
/// the network points may join is the reach rule's (`ReachRule.snapper`, given the facilities), not decided here.
public struct WalkingNetwork: Sendable {
    public let graph: WalkingGraph
    public let snapper: EdgeSnapper
    /// The facilities the parts were chosen with: the stored ones and any planned ones.
    public let facilities: [Coverage.Facility]

    public init(graph: WalkingGraph, rule: ReachRule, facilities: [Coverage.Facility]) {
        self.graph = graph
        self.facilities = facilities
        snapper = rule.snapper(graph, facilities: facilities.map(\.location))
    }

    /// Reads the network and the facilities from the store (with `planned` ones added as if they existed) and
    /// indexes the network for snapping by `rule`.
    public static func load(_ store: Store, rule: ReachRule, planned: [Coverage.Facility] = []) throws -> WalkingNetwork {
        WalkingNetwork(graph: try AnalysisData.graph(store), rule: rule, facilities: try AnalysisData.facilities(store) + planned)
    }

    /// False for a store without network edges (nothing can be reached; isochrones are refused).
    public var hasEdges: Bool { graph.edgeCount > 0 }
}
