import Foundation
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

/// A store in its own temporary folder, removed with the value.
final class ScratchStore {
    let directory: URL
    let store: Store

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-services-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try Store.create(path: directory.appendingPathComponent("store.sqlite").path)
    }

    /// With the repository's demo communities (GeoData/communities.geojson).
    static func withCommunities() throws -> ScratchStore {
        let scratch = try ScratchStore()
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GeoData/communities.geojson")
        _ = try GeoJSONImporter.run(store: scratch.store, path: file.path, layer: .communities)
        return scratch
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

@Suite("Run parameters: typed refusals in the run vocabulary")
struct RunParameterTests {
    typealias Parameters = GridRuns.Parameters

    static func refusal(_ parameters: Parameters) -> RunParameterError? {
        do { try GridRebalance.check(parameters) } catch { return error }
        return nil
    }

    @Test("each bad parameter is refused with its problem and its field")
    func checks() {
        var parameters = Parameters()
        #expect(Self.refusal(parameters) == nil, "the defaults are valid")
        parameters.minimum = 500; parameters.maximum = 300
        #expect(Self.refusal(parameters) == RunParameterError(.range(minimum: 500, maximum: 300)))
        #expect(Self.refusal(parameters)?.fields == [.minimum, .maximum])
        parameters = Parameters(); parameters.minimum = 0
        #expect(Self.refusal(parameters)?.problem == .range(minimum: 0, maximum: 500))
        parameters = Parameters(); parameters.stability = 1.5
        #expect(Self.refusal(parameters) == RunParameterError(.stability(1.5)))
        parameters.stability = .nan
        #expect(Self.refusal(parameters)?.field == .stability)
        parameters = Parameters(); parameters.gridCount = 0
        #expect(Self.refusal(parameters) == RunParameterError(.gridCount(0)))
        parameters = Parameters(); parameters.barriers = ["primary", "primary;drop"]
        #expect(Self.refusal(parameters) == RunParameterError(.barrier("primary;drop")))
        parameters.barriers = ["主干道"]
        #expect(Self.refusal(parameters) == RunParameterError(.barrier("主干道")), "highway classes are ASCII")
        parameters.barriers = [""]
        #expect(Self.refusal(parameters)?.field == .barriers)
    }

    @Test("messages name the parameters as the caller spells them: the vocabulary's names by default")
    func messages() {
        let range = RunParameterError(.range(minimum: 500, maximum: 300))
        #expect(range.description == "min/max: need 1 ≤ min ≤ max (got 500, 300)")
        let flags: [GridRuns.Parameters.Field: String] = [.minimum: "--min", .maximum: "--max", .gridCount: "--grids", .barriers: "--barriers"]
        #expect(range.message { flags[$0]! } == "--min/--max: need 1 ≤ min ≤ max (got 500, 300)")
        #expect(RunParameterError(.gridCount(0)).description == "grid_count must be at least 1 (got 0)")
        #expect(RunParameterError(.gridCount(0)).message { flags[$0]! } == "--grids must be at least 1 (got 0)")
        #expect(RunParameterError(.barrier("a;b")).message { flags[$0]! }.hasPrefix("--barriers: \"a;b\" is not a highway class"))
        #expect(RunParameterError(.unknownCommunity("999999999999")).description == "communities: no community \"999999999999\" in the store")
    }

    @Test("the vocabulary: the stored parameters use the body's names, and read back")
    func vocabulary() throws {
        #expect(GridRuns.Parameters.Field.allCases.map(\.rawValue) == ["communities", "min", "max", "grid_count", "from_current", "stability", "barriers"])
        var parameters = Parameters()
        parameters.minimum = 800; parameters.maximum = 1300; parameters.gridCount = 12; parameters.fromCurrent = false
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        #expect(text == #"{"communities":[],"from_current":false,"grid_count":12,"max":1300,"min":800,"stability":0.7}"#)
        #expect(try JSONDecoder().decode(Parameters.self, from: Data(text.utf8)) == parameters)
    }

    @Test("against the store: no communities, an unknown one; the communities to plan otherwise")
    func againstStore() throws {
        let empty = try ScratchStore()
        #expect(throws: RunParameterError(.noCommunities)) { try GridRebalance.validate(Parameters(), store: empty.store) }
        let scratch = try ScratchStore.withCommunities()
        var parameters = Parameters()
        let all = try GridRebalance.validate(parameters, store: scratch.store)
        #expect(all.count == 9)
        parameters.communities = [all[3].code, "999999999999"]
        #expect(throws: RunParameterError(.unknownCommunity("999999999999"))) { try GridRebalance.validate(parameters, store: scratch.store) }
        parameters.communities = [all[3].code]
        #expect(try GridRebalance.validate(parameters, store: scratch.store).map(\.code) == [all[3].code])
        // The run refuses before anything is stored: no run, no reserved id.
        parameters.minimum = 900; parameters.maximum = 100
        #expect(throws: RunParameterError(.range(minimum: 900, maximum: 100))) { try GridRebalance.run(store: scratch.store, parameters: parameters) }
        #expect(try GridRuns.list(store: scratch.store).isEmpty)
    }
}

@Suite("Jobs on the demo district")
struct JobTests {
    static func demoStore() throws -> ScratchStore {
        let scratch = try ScratchStore.withCommunities()
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GeoData")
        _ = try OSMImporter.run(store: scratch.store, path: data.appendingPathComponent("demo-district.osm").path)
        _ = try GeoJSONImporter.run(store: scratch.store, path: data.appendingPathComponent("grids.geojson").path, layer: .grids)
        return scratch
    }

    @Test("the background run job stores the plan under the reserved id and marks the request done; a refused one reserves nothing")
    func backgroundRun() async throws {
        let scratch = try Self.demoStore()
        var parameters = GridRuns.Parameters()
        parameters.minimum = 900; parameters.maximum = 100
        #expect(throws: RunParameterError(.range(minimum: 900, maximum: 100))) { try GridRunJob.start(store: scratch.store, parameters: parameters) }
        #expect(try GridRunRequests.get(store: scratch.store, id: 1) == nil)

        parameters.minimum = 800; parameters.maximum = 1300
        let done = AsyncStream<Void>.makeStream()
        let request = try GridRunJob.start(store: scratch.store, parameters: parameters, finished: { done.continuation.finish() })
        #expect(request.status == .running)
        for await _ in done.stream {}
        #expect(try GridRunRequests.get(store: scratch.store, id: request.id)?.status == .done)
        let run = try GridRuns.get(store: scratch.store, id: request.id)
        #expect(run.status == "dry_run" && run.parameters == parameters)
        // The same plan as the run computed in the foreground.
        let again = try GridRebalance.run(store: scratch.store, parameters: parameters)
        #expect(try GridRuns.proposedGrids(store: scratch.store, id: again.id).map(\.households)
            == (try GridRuns.proposedGrids(store: scratch.store, id: run.id).map(\.households)))
        #expect(GridRunJob.message(for: RunParameterError(.barrier("a;b"))).hasPrefix("barriers: \"a;b\""))
    }

    @Test("a coverage run is stored with its levels met; the walking network is loaded once for it")
    func coverageRun() throws {
        let scratch = try Self.demoStore()
        let network = try WalkingNetwork.load(scratch.store, rule: LifeCircleProfile.gb50180.reach)
        #expect(network.hasEdges)
        let dry = try CoverageJob.run(store: scratch.store, profile: .gb50180, dryRun: true)
        #expect(try dry.runID == nil && CoverageRuns.list(store: scratch.store).isEmpty)
        let outcome = try CoverageJob.run(store: scratch.store, profile: .gb50180)
        let id = try #require(outcome.runID)
        #expect(outcome.result.summary == dry.result.summary)
        let loaded = try CoverageRuns.load(store: scratch.store, id: id)
        #expect(loaded.result.summary == outcome.result.summary)
        // levels_met round-trips through its one spelling.
        let all = LevelsMet.all(of: .gb50180)
        #expect(all.stored == "5,10,15" && LevelsMet(stored: all.stored) == all)
        #expect(LevelsMet(stored: "") == LevelsMet(minutes: []) && LevelsMet(stored: "5,x") == nil)
        #expect(LevelsMet(minutes: [7.5]).stored == "7.5")
        let met = outcome.result.buildings.indices.map { LevelsMet.met(building: $0, in: outcome.result) }
        #expect(met.allSatisfy { Set($0.minutes).isSubset(of: all.minutes) && LevelsMet(stored: $0.stored) == $0 })
    }
}
