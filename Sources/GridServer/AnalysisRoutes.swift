import Foundation
import GridAnalysis
import GridModel
import GridStore
import Hummingbird
import Synchronization

/// `/isochrones` and `/coverage`: the same cores the command line runs.
struct AnalysisRoutes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/isochrones") { request, _ in
            var lon: Double?, lat: Double?
            var minutes: [Double]?, meters: [Double]?
            var speed: Double?, profileName: String?
            var crs = CoordinateReferenceSystem.crs84
            var seen = Set<Substring>()
            for (key, value) in request.uri.queryParameters {
                let text = String(value)
                guard seen.insert(key).inserted else { throw APIProblem.badParameter(String(key), "\(key) is given more than once") }
                switch key {
                case "lon": lon = try Self.number(text, "lon")
                case "lat": lat = try Self.number(text, "lat")
                case "minutes": minutes = try Self.list(text, "minutes")
                case "meters": meters = try Self.list(text, "meters")
                case "speed": speed = try Self.number(text, "speed")
                case "profile": profileName = text
                // lon and lat are read in this CRS and the contours written in it (GCJ-02 for Chinese web base maps).
                case "crs": crs = try CoordinateReferenceSystem(uri: text) ?? { throw ItemsQuery.unknownCRS("crs", text) }()
                case "f": guard ["json", "geojson"].contains(text) else { throw APIProblem.badParameter("f", "f must be json or geojson") }
                default: throw APIProblem.badParameter(String(key), "unknown parameter \"\(key)\"; accepted: lon, lat, minutes, meters, speed, profile, crs")
                }
            }
            guard let lon else { throw APIProblem.badParameter("lon", "lon (WGS84 longitude) is required") }
            guard let lat else { throw APIProblem.badParameter("lat", "lat (WGS84 latitude) is required") }
            guard (-180...180).contains(lon) else { throw APIProblem.badParameter("lon", "lon \(lon) is outside −180…180") }
            guard (-90...90).contains(lat) else { throw APIProblem.badParameter("lat", "lat \(lat) is outside −90…90") }
            let profile = try self.profile(named: profileName, parameter: "profile")
            let contours = Self.contours(minutes: minutes ?? (meters == nil ? profile.levels.map(\.minutes) : []), meters: meters ?? [])
            return try await self.isochrones(.point(crs.toWGS84(Coordinate(longitude: lon, latitude: lat))), contours: contours, profile: profile,
                                       speed: speed, request: request, crs: crs)
        }
        router.post("/isochrones") { request, context in
            let body = try await Self.jsonBody(request, limit: state.settings.limits.maximumBodyBytes)
            guard case .object(let fields) = body else { throw APIProblem.badBody("the body must be a JSON object") }
            let known: Set<String> = ["lon", "lat", "facility", "category", "minutes", "meters", "speed", "profile"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw APIProblem.badBody("unknown field \"\(unknown)\"; accepted: \(known.sorted().joined(separator: ", "))", field: unknown)
            }
            let origins = [fields["lon"] != nil || fields["lat"] != nil, fields["facility"] != nil, fields["category"] != nil].filter { $0 }.count
            guard origins == 1 else {
                throw APIProblem.badBody("give exactly one origin: lon and lat, facility (an id) or category", field: "origin")
            }
            let origin: Isochrone.Origin
            if let category = fields["category"] {
                guard let name = category.stringValue else { throw APIProblem.badBody("category must be a string", field: "category") }
                origin = .category(name)
            } else if let facility = fields["facility"] {
                // Int64(exactly:) is nil for fractions and for numbers past Int64 (1e20 would trap a plain Int64()).
                guard let id = BodyNumbers.number(facility).flatMap({ Int64(exactly: $0) }), (1...BodyNumbers.largestExactInteger).contains(id) else {
                    throw APIProblem.badBody("facility must be a facility id: a whole number from 1 to \(BodyNumbers.largestExactInteger)", field: "facility")
                }
                origin = .facility(id)
            } else {
                guard let lon = fields["lon"].flatMap(BodyNumbers.number), (-180...180).contains(lon) else { throw APIProblem.badBody("lon must be a number in −180…180", field: "lon") }
                guard let lat = fields["lat"].flatMap(BodyNumbers.number), (-90...90).contains(lat) else { throw APIProblem.badBody("lat must be a number in −90…90", field: "lat") }
                origin = .point(Coordinate(longitude: lon, latitude: lat))
            }
            func numbers(_ name: String) throws -> [Double]? {
                guard let value = fields[name] else { return nil }
                guard let items = value.arrayValue, !items.isEmpty, items.allSatisfy({ BodyNumbers.number($0) != nil }) else {
                    throw APIProblem.badBody("\(name) must be an array of one or more numbers", field: name)
                }
                return items.compactMap(BodyNumbers.number)
            }
            let minutes = try numbers("minutes"), meters = try numbers("meters")
            var speed: Double?
            if let given = fields["speed"] {
                guard let value = BodyNumbers.number(given) else { throw APIProblem.badBody("speed must be a number (m/s)", field: "speed") }
                speed = value
            }
            let profile: LifeCircleProfile
            switch fields["profile"] {
            case nil: profile = state.settings.profile
            case .string(let name)?: profile = try self.profile(named: name, parameter: nil)
            case .object(let object)?:
                // A whole profile, checked as a profile file is.
                let data = try JSONEncoder().encode(JSONValue.object(object))
                do { profile = try LifeCircleProfile.decode(data, file: "profile") } catch {
                    throw APIProblem.badBody("\(error)", field: "profile")
                }
            default: throw APIProblem.badBody("profile must be a profile's name or a profile object", field: "profile")
            }
            let contours = Self.contours(minutes: minutes ?? (meters == nil ? profile.levels.map(\.minutes) : []), meters: meters ?? [])
            return try await self.isochrones(origin, contours: contours, profile: profile, speed: speed, request: request)
        }
        router.get("/coverage") { request, _ in
            try await StoreReadThreads.run {
                let community = try Self.coverageParameters(request, accepted: ["f", "community"])["community"]
                guard let latest = try CoverageRuns.latestID(store: state.store) else {
                    throw APIProblem.notFound("the store has no coverage run yet; run `communitygrid coverage` first")
                }
                return Responses.bytes(try self.coverageRun(latest, community: community, request: request), contentType: Responses.json, request: request, cacheable: false)
            }
        }
        router.get("/coverage/summary") { request, _ in
            try await StoreReadThreads.run {
                let parameters = try Self.coverageParameters(request, accepted: ["f", "theme"])
                guard let figures = try state.coverageFigures.latest() else {
                    throw APIProblem.notFound("the store has no coverage run yet; run `communitygrid coverage` first")
                }
                return Responses.bytes(try self.keptCoverageSummary(figures, theme: parameters["theme"], request: request), contentType: Responses.json,
                                       request: request, cacheable: false)
            }
        }
        router.get("/coverage/runs") { request, _ in
            try await StoreReadThreads.run {
                _ = try Self.coverageParameters(request, accepted: ["f"])
                let base = Responses.base(request)
                let runs = try CoverageRuns.list(store: state.store).map { run -> Any in
                    var object = run.json
                    object["links"] = [["rel": "self", "href": base + "/coverage/runs/\(run.id)"]]
                    return object
                }
                return Responses.json(try Self.jsonValue(["runs": runs]), request: request, cacheable: false)
            }
        }
        router.get("/coverage/runs/:coverageRunId") { request, context in
            let runText = context.parameters.get("coverageRunId") ?? ""
            return try await StoreReadThreads.run {
                let community = try Self.coverageParameters(request, accepted: ["f", "community"])["community"]
                let id = try self.coverageRunID(runText, parameter: "coverageRunId")
                return Responses.bytes(try self.coverageRun(id, community: community, request: request), contentType: Responses.json, request: request, cacheable: false)
            }
        }
        router.get("/coverage/compare") { request, _ in
            try await StoreReadThreads.run {
                let parameters = try Self.coverageParameters(request, accepted: ["f", "a", "b", "community"])
                guard let a = parameters["a"] else { throw APIProblem.badParameter("a", "a (the earlier coverage run id) is required") }
                guard let b = parameters["b"] else { throw APIProblem.badParameter("b", "b (the later coverage run id) is required") }
                let first = try CoverageRuns.load(store: state.store, id: try self.coverageRunID(a, parameter: "a"))
                let second = try CoverageRuns.load(store: state.store, id: try self.coverageRunID(b, parameter: "b"))
                let keep = try self.communityFilter(parameters["community"])
                let comparison = CoverageComparison(first.result.filtered(keep), second.result.filtered(keep))
                if parameters["f"] == "geojson" {
                    let points = Dictionary(second.result.buildings.map { ($0.id, $0.point) }, uniquingKeysWith: { x, _ in x })
                    let text = CoverageReport.comparisonGeoJSON(comparison, footprints: try BuildingFootprints.load(state.store), points: points)
                    return Responses.bytes(Array(text.utf8), contentType: Responses.geoJSON, request: request, cacheable: false)
                }
                return Responses.json(try Self.jsonValue(CoverageReport.comparisonJSON(comparison, a: first.run.json, b: second.run.json)),
                                      request: request, cacheable: false)
            }
        }
    }

    /// Query parameters of the /coverage routes, refused when unknown; `f` is json (or geojson for a comparison).
    static func coverageParameters(_ request: Request, accepted: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard accepted.contains(name) else {
                throw APIProblem.badParameter(name, "unknown parameter \"\(name)\"; accepted: \(accepted.joined(separator: ", "))")
            }
            values[name] = String(value)
        }
        if let f = values["f"] {
            let formats = accepted.contains("a") ? ["json", "geojson"] : ["json"]
            guard formats.contains(f) else { throw APIProblem.badParameter("f", "f must be \(formats.joined(separator: " or "))") }
        }
        return values
    }

    func coverageRunID(_ text: String, parameter: String) throws -> Int64 {
        guard let id = BodyNumbers.id(text) else { throw APIProblem.badParameter(parameter, "\(parameter) must be a coverage run id (a whole number), not \"\(text)\"") }
        let known = try CoverageRuns.list(store: state.store).map(\.id)
        guard known.contains(id) else {
            throw APIProblem.notFound("no coverage run \(id); stored: " + (known.isEmpty ? "none" : known.map(String.init).joined(separator: ", ")))
        }
        return id
    }

    /// Refuses a community the store does not hold: a name 400, a code 404, both listing the valid codes.
    func communityFilter(_ community: String?) throws -> (Coverage.Building) -> Bool {
        guard let community else { return { _ in true } }
        // Not a code at all (a name, say) is a bad parameter; a well-formed code the store does not hold is not found
        // (the store's typed error, mapped as every other). Both list the valid codes.
        let isCode = community.count == 12 && community.allSatisfy { $0.isASCII && $0.isNumber }
        do {
            try CoverageRuns.checkCommunity(community, store: state.store)
        } catch let error as StoreError where error.kind == .notFound && !isCode {
            throw APIProblem.badParameter("community", error.message(spelling: ProblemMapping.parameterName) + " (a community is named by its 12-digit code)")
        }
        return { $0.community == community }
    }

    /// A stored run rolled up against the buildings' current grids and communities, with its freshness.
    func coverageRun(_ id: Int64, community: String?, request: Request) throws -> [UInt8] {
        // The community is checked before the kept answers are looked at: a refused one (an empty one among them) must
        // be refused, never answered with the whole run's kept bytes.
        _ = try communityFilter(community)
        let key = "\(id)|\(community.map { "community=" + $0 } ?? "all")|\(Responses.base(request))"
        return try keptAnswer(key) { try renderCoverageRun(id, community: community, request: request) }
    }

    /// The encoded answer kept under `key` for the current data version, or `render`'s, kept only when nothing
    /// committed while it was read (refreshing the buildings' places commits: kept next time).
    private func keptAnswer(_ key: String, render: () throws -> JSONValue) throws -> [UInt8] {
        let before = state.features.dataVersion()
        if let before, let kept = state.coverageAnswers.withLock({ $0.dataVersion == before ? $0.answers[key] : nil }) { return kept }
        let answer = Array(GeoJSON.encode(try render()).utf8)
        if let before, state.features.dataVersion() == before {
            state.coverageAnswers.withLock { kept in
                if kept.dataVersion != before || kept.answers.count >= 16 { kept = (before, [:]) }
                kept.answers[key] = answer
            }
        }
        return answer
    }

    func renderCoverageRun(_ id: Int64, community: String?, request: Request) throws -> JSONValue {
        let keep = try communityFilter(community)
        let loaded = try CoverageRuns.load(store: state.store, id: id)
        var object = CoverageReport.json(loaded.result, run: loaded.run, seconds: nil, buildings: false, keep: keep)
        // Earlier clients read run.id, run.created_at and run.profile.
        object["run"] = ["id": loaded.run.id, "created_at": loaded.run.createdAt, "profile": loaded.run.profileName,
                         "stale": loaded.run.freshness.isStale, "changed_since": loaded.run.freshness.changedLayers] as [String: Any]
        object["links"] = [["rel": "self", "href": Responses.base(request) + "/coverage/runs/\(id)"],
                           ["rel": "runs", "href": Responses.base(request) + "/coverage/runs"]]
        return try Self.jsonValue(object)
    }

    /// The summary's bytes, kept beside `/coverage`'s per run, theme and data version: every map page asks for it
    /// first, and on a city its classes and worst grids per theme took 0.1 s to build each time.
    func keptCoverageSummary(_ figures: CoverageAreaFigures, theme: String?, request: Request) throws -> [UInt8] {
        let key = "summary|\(figures.run)|\(theme.map { "theme=" + $0 } ?? "all")|\(Responses.base(request))"
        return try keptAnswer(key) { try coverageSummary(figures, theme: theme, request: request) }
    }

    /// What the map's legend needs of the latest run, without a row per grid: the run, its summary, and per theme
    /// (each level, then each requirement) the grids and communities per share class and the ten worst grids. The
    /// figures are `/coverage`'s groups (`CoverageAreaFigures`), read once per run and data version.
    func coverageSummary(_ figures: CoverageAreaFigures, theme: String?, request: Request) throws -> JSONValue {
        let themes = figures.themes.indices.filter { theme == nil || figures.themes[$0].key == theme }
        if let theme, themes.isEmpty {
            throw APIProblem.badParameter("theme", "theme \"\(theme)\" is not one of run \(figures.run)'s: \(figures.themes.map(\.key).joined(separator: ", "))")
        }
        let run = try CoverageRuns.list(store: state.store).first { $0.id == figures.run }
        let summary = run.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.summary.utf8))) as? [String: Any] } ?? [:]
        let worst = themes.map { figures.worst(figures.grids, theme: $0, count: 10) }
        let codes = Array(Set(worst.flatMap { $0.map(\.code) }))
        let names = try CoverageAreaFigures.gridNames(codes, store: state.store)
        func classes(_ areas: [CoverageAreaFigures.Area], stored: Int, _ t: Int) -> [String: Any] {
            let counts = figures.classCounts(areas, stored: stored, theme: t)
            return ["classes": counts.classes, "no_households": counts.noHouseholds]
        }
        var object: [String: Any] = [
            "run_id": figures.run, "profile": figures.profile.name,
            "summary": summary,
            "categories_without_facilities": summary["categories_without_facilities"] ?? [],
            "grids": figures.storedGrids, "communities": figures.storedCommunities,
            "classes": ["breaks": CoverageAreaFigures.classBreaks, "households_property": CoverageAreaFigures.householdsProperty,
                        "run_property": CoverageAreaFigures.runProperty],
            "themes": zip(themes, worst).map { t, worst -> [String: Any] in
                let theme = figures.themes[t]
                var grids = classes(figures.grids, stored: figures.storedGrids, t)
                grids["worst"] = worst.map { area -> [String: Any] in
                    ["code": area.code, "name": names[area.code]?.name as Any? ?? NSNull(), "community": names[area.code]?.community as Any? ?? NSNull(),
                     "households": area.households, "households_covered": area.meeting[t], "uncovered": area.households - area.meeting[t],
                     "share": figures.share(area, theme: t)]
                }
                return ["key": theme.key, "minutes": theme.minutes, "category": theme.category as Any? ?? NSNull(),
                        "share_property": theme.shareProperty, "households_property": theme.householdsProperty, "cell_property": theme.cellProperty,
                        "grids": grids, "communities": classes(figures.communities, stored: figures.storedCommunities, t)]
            },
        ]
        if let run {
            object["created_at"] = run.createdAt
            for (key, value) in run.freshness.json { object[key] = value }
            object["run"] = ["id": run.id, "created_at": run.createdAt, "profile": run.profileName,
                             "stale": run.freshness.isStale, "changed_since": run.freshness.changedLayers] as [String: Any]
        }
        object["links"] = [["rel": "self", "href": Responses.base(request) + "/coverage/summary"],
                           ["rel": "coverage", "href": Responses.base(request) + "/coverage/runs/\(figures.run)"]]
        return try Self.jsonValue(object)
    }

    /// The renderers' `[String: Any]` trees as JSON values, walked directly: going through `JSONSerialization` and
    /// back through `JSONDecoder` bridged every value of a city's `/coverage` (a row per grid) and took a minute.
    static func jsonValue(_ object: Any) throws -> JSONValue {
        // Swift's own values by their exact type first: casting through `as?` would bridge them to NSNumber and back
        // (and an NSNumber 1 would pass for `true`).
        let kind = ObjectIdentifier(type(of: object))
        if kind == ObjectIdentifier(Int.self), let value = object as? Int { return .number(Double(value)) }
        if kind == ObjectIdentifier(Double.self), let value = object as? Double { return try number(value) }
        if kind == ObjectIdentifier(String.self), let value = object as? String { return .string(value) }
        if kind == ObjectIdentifier(Bool.self), let value = object as? Bool { return .bool(value) }
        if kind == ObjectIdentifier(Int64.self), let value = object as? Int64 { return .number(Double(value)) }
        if let value = object as? [String: Any] {
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(value.count)
            for (key, item) in value { members[key] = try jsonValue(item) }
            return .object(members)
        }
        if let value = object as? [Any] { return .array(try value.map(jsonValue)) }
        if object is NSNull { return .null }
        if let value = object as? JSONValue { return value }
        if let value = object as? NSNumber {
            // Parsed JSON (a stored run's summary) holds NSNumbers; booleans among them are of type "c".
            return String(cString: value.objCType) == "c" ? .bool(value.boolValue) : try number(value.doubleValue)
        }
        if let value = object as? String { return .string(value) }
        throw JSONShapeError(detail: "a value of type \(type(of: object)) in a JSON answer")
    }

    private static func number(_ value: Double) throws -> JSONValue {
        guard value.isFinite else { throw JSONShapeError(detail: "a number that is not finite in a JSON answer") }
        return .number(value)
    }

    struct JSONShapeError: Error, CustomStringConvertible {
        let detail: String
        var description: String { detail }
    }

    /// The active profile, or a shipped one by name; `parameter` nil: it came in the body.
    func profile(named name: String?, parameter: String?) throws -> LifeCircleProfile {
        let active = state.settings.profile
        guard let name, name != active.name else { return active }
        if let shipped = LifeCircleProfile.shipped(named: name) { return shipped }
        let names = ([active.name] + LifeCircleProfile.shipped.map(\.name).filter { $0 != active.name }).joined(separator: ", ")
        // Well formed but naming nothing, like an unknown category: 422 with the known names.
        throw APIProblem.unprocessable("unknown-profile", "profile \"\(name)\" is not known; known profiles: \(names)",
                                       parameter: parameter ?? "profile")
    }

    /// The isochrones by the profile's reach rule (`speed` replaces its walking speed), the rule coverage applies.
    func isochrones(_ origin: Isochrone.Origin, contours: [Isochrone.Contour], profile: LifeCircleProfile, speed: Double?,
                    request: Request, crs: CoordinateReferenceSystem = .crs84) async throws -> Response {
        var options = Isochrone.Options(reach: profile.reach)
        if let speed { options.walkingSpeed = speed }
        do {
            _ = try Isochrone.validate(contours, options: options)
            let state = self.state, options = options
            let result = try await state.isochroneSlots.runDetached { isCancelled in
                let snapshot = try state.analysisSnapshot()
                return try Isochrone.run(snapper: snapshot.snapper, origin: origin, contours: contours, options: options,
                                         facilities: snapshot.facilities, placedBuildings: snapshot.buildings, isCancelled: isCancelled)
            }
            if crs == .crs84 {
                return Responses.bytes(Array(result.featureCollection().utf8), contentType: Responses.geoJSON, request: request)
            }
            return Responses.bytes(Array(result.featureCollection(output: crs.geometryForOutput(fromWGS84:)).utf8), contentType: Responses.geoJSON,
                                   request: request, headers: [.contentCRS: "<\(crs.uri)>"])
        } catch let error as IsochroneError {
            throw ProblemMapping.problem(for: error)
        }
    }

    static func contours(minutes: [Double], meters: [Double]) -> [Isochrone.Contour] {
        minutes.map(Isochrone.Contour.minutes) + meters.map(Isochrone.Contour.meters)
    }

    static func number(_ text: String, _ name: String) throws -> Double {
        guard let value = Double(text), value.isFinite else { throw APIProblem.badParameter(name, "\(name) must be a number, not \"\(text)\"") }
        return value
    }

    static func list(_ text: String, _ name: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { try number(String($0), name) }
    }

    /// The body as JSON, refused past `limit` bytes or when it is not JSON.
    static func jsonBody(_ request: Request, limit: Int) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIProblem(status: .contentTooLarge, code: "body-too-large", title: "Request body too large",
                             detail: "the body is larger than \(limit) bytes")
        } catch {
            throw APIProblem.badBody("the body ended before it was complete")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIProblem.badBody("the body is not valid JSON")
        }
    }
}
