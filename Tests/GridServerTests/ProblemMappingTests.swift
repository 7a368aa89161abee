import Foundation
import GridAnalysis
import GridModel
@testable import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The store's typed errors and the analysis' errors become HTTP problems in one place (ProblemMapping).
@Suite("Typed errors mapped to problem types")
struct ProblemMappingTests {
    let demo = DemoStore.shared

    @Test("each kind of store error has its status and code; typed ones name the parameter in HTTP spelling")
    func kinds() throws {
        let cases: [(StoreError, HTTPResponse.Status, String, String?)] = [
            (.badInput("levels: 300 is more than 200"), .unprocessableContent, "invalid-request", nil),
            (.invalid(.category, value: "spa", problem: "unknown category"), .unprocessableContent, "invalid-request", "category"),
            (.notFound(.community, value: "110108001999", problem: "no such community"), .notFound, "not-found", "community"),
            (.notFound(.coverageRun, value: "99", problem: "no such coverage run"), .notFound, "not-found", "coverageRunId"),
            (.conflict("RUN 3: grid codes were given out since it was computed"), .conflict, "conflict", nil),
            (.locked, .serviceUnavailable, "store-locked", nil),
            (.deadlinePassed, .serviceUnavailable, "timeout", nil),
        ]
        for (error, status, code, parameter) in cases {
            let problem = try #require(ProblemMapping.problem(for: error), "\(error)")
            #expect(problem.status == status, "\(error)")
            #expect(problem.code == code, "\(error)")
            #expect(problem.parameter == parameter, "\(error)")
            #expect(!problem.detail.contains("--"), "\(problem.detail)")
        }
        #expect(ProblemMapping.problem(for: StoreError.locked)?.extraHeaders[.retryAfter] == "2")
        // Ours to fix: the middleware logs them and answers 500 without the message.
        #expect(ProblemMapping.problem(for: StoreError.corrupt("grids 4: geometry is not a polygon")) == nil)
        #expect(ProblemMapping.problem(for: StoreError.environment("cannot load mod_spatialite")) == nil)
        #expect(ProblemMapping.problem(for: CocoaError(.fileNoSuchFile)) == nil)
    }

    @Test("errors the real store throws: an unknown coverage run and community are not found, named as HTTP names them")
    func realStoreErrors() throws {
        do {
            _ = try CoverageRuns.load(store: demo.store, id: 999)
            Issue.record("coverage run 999 was found")
        } catch {
            let problem = try #require(ProblemMapping.problem(for: error))
            #expect(problem.status == .notFound && problem.parameter == "coverageRunId")
            #expect(problem.detail.hasPrefix("coverageRunId 999: no such coverage run (stored: "), "\(problem.detail)")
            #expect(StoreError.classify(error)?.kind == .notFound)
        }
        do {
            try CoverageRuns.checkCommunity("110108001999", store: demo.store)
            Issue.record("community 110108001999 was found")
        } catch {
            let problem = try #require(ProblemMapping.problem(for: error))
            #expect(problem.status == .notFound && problem.parameter == "community")
            #expect(problem.detail.hasPrefix("community 110108001999: no such community; valid: "), "\(problem.detail)")
        }
    }

    @Test("an isochrone error names the HTTP parameter in its message (speed, not the core's walkingSpeed)")
    func isochroneSpeed() async throws {
        let speed = ProblemMapping.problem(for: IsochroneError(.walkingSpeed, "walkingSpeed: 0 is not positive"))
        #expect(speed.parameter == "speed" && speed.detail == "speed: 0 is not positive" && speed.code == "invalid-isochrone")
        #expect(ProblemMapping.problem(for: IsochroneError(.origin, "origin (1, 2) is 9000 m from the walking network")).parameter == "lon")
        try await application(demo.store).test(.router) { client in
            let network = try await client.execute(uri: "/collections/network/items?limit=1", method: .get).json
            let start = try #require(network["features"]?.arrayValue?.first?["geometry"]?["coordinates"]?.arrayValue?.first?.arrayValue)
            let at = "lon=\(start[0].doubleValue ?? 0)&lat=\(start[1].doubleValue ?? 0)"
            for value in ["0", "1e300"] {
                let response = try await client.execute(uri: "/isochrones?\(at)&speed=\(value)", method: .get)
                #expect(response.status == .unprocessableContent)
                let problem = try response.json
                #expect(problem["parameter"]?.stringValue == "speed")
                let detail = problem["detail"]?.stringValue ?? ""
                #expect(detail.hasPrefix("speed: \(value == "0" ? "0" : "")"), "\(detail)")
                #expect(!detail.contains("walkingSpeed"), "\(detail)")
            }
        }
    }

    @Test("over HTTP: a community code the store lacks is 404 naming community, a name is 400 with the hint")
    func communityOverHTTP() async throws {
        try await application(demo.store).test(.router) { client in
            let missing = try await client.execute(uri: "/coverage?community=110108001999", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.json["parameter"]?.stringValue == "community")
            #expect(try missing.json["detail"]?.stringValue?.hasPrefix("community 110108001999: no such community") == true)
            let name = try await client.execute(uri: "/coverage?community=nowhere", method: .get)
            #expect(name.status == .badRequest)
            #expect(try name.json["detail"]?.stringValue?.hasSuffix("(a community is named by its 12-digit code)") == true)
        }
    }
}
