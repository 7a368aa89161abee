import GridAnalysis
import GridModel
import GridStore

/// The stored walking network with the snapper the reach rule places points with: the one way every job that
/// walks (coverage, isochrones, site suggestion, the server's isochrone snapshot) loads it. Which parts of the
/// network points may join is the reach rule's (`ReachRule.snapper`), not decided here.
public struct WalkingNetwork: Sendable {
    public let graph: WalkingGraph
    public let snapper: EdgeSnapper

    public init(graph: WalkingGraph) {
        self.graph = graph
        snapper = ReachRule.snapper(graph)
    }

    /// Reads the network from the store and indexes it for snapping.
    public static func load(_ store: Store) throws -> WalkingNetwork {
        WalkingNetwork(graph: try AnalysisData.graph(store))
    }

    /// False for a store without network edges (nothing can be reached; isochrones are refused).
    public var hasEdges: Bool { graph.edgeCount > 0 }
}
