import GridAnalysis
import GridModel
import GridStore

extension CaseNetwork {
    /// The case network of the store's current layers: the walking network and its snapper as `WalkingNetwork` loads
    /// them for `profile`'s reach rule, the buildings placed by the same rule, the grids.
    public static func load(_ store: Store, profile: LifeCircleProfile = .gb50180) throws -> CaseNetwork {
        // Read first: a layer changed while loading makes this network stale at once, never silently current.
        let version = try AnalysisData.version(store)
        let network = try WalkingNetwork.load(store, rule: profile.reach)
        return CaseNetwork(version: version, profile: profile, snapper: network.snapper, facilities: network.facilities,
                           placed: PlacedBuildings(try AnalysisData.buildings(store), snapper: network.snapper, rule: profile.reach),
                           grids: try AnalysisData.grids(store))
    }
}
