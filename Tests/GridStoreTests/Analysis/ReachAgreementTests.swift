import Foundation
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

/// One reach rule on real extracts: for every building and every category of the shipped profile, coverage's
/// answer equals containment of the building's representative point in that category's isochrone, and the
/// isochrone's households equal coverage's.
@Suite("Coverage and isochrones agree on real OSM data", .serialized)
struct ReachAgreementTests {
    /// The store's data in the cores' shapes.
    struct Loaded {
        var graph: WalkingGraph
        var snapper: EdgeSnapper
        var buildings: [Coverage.Building]
        var facilities: [Coverage.Facility]

        init(_ store: Store) throws {
            graph = try AnalysisData.graph(store)
            facilities = try AnalysisData.facilities(store)
            snapper = ReachRule.shipped.snapper(graph, facilities: facilities.map(\.location))
            buildings = try AnalysisData.buildings(store)
        }
    }

    /// The profile's rule with every category looked for up to its largest level: coverage's distances to
    /// compare every contour with.
    static func everyCategoryTo(_ profile: LifeCircleProfile) -> LifeCircleProfile {
        var flat = profile
        flat.levels = [.init(minutes: profile.levels.map(\.minutes).max()!, categories: profile.categories.map { .init(category: $0) })]
        return flat
    }

    /// Even-odd point-in-polygon over all rings, segments bucketed by latitude: independent of the core's locator.
    struct Containment {
        var minLatitude = 0.0, step = 1.0
        var buckets: [[(Coordinate, Coordinate)]] = []

        init(_ shape: MultiPolygon) {
            let rings = shape.polygons.flatMap { [$0.exterior] + $0.holes }
            let latitudes = rings.flatMap { $0.coordinates.map(\.latitude) }
            guard let low = latitudes.min(), let high = latitudes.max(), high > low else { return }
            let count = 2048
            minLatitude = low
            step = (high - low) / Double(count)
            buckets = Array(repeating: [], count: count)
            for ring in rings {
                for (a, b) in zip(ring.coordinates, ring.coordinates.dropFirst()) {
                    let i0 = bucket(min(a.latitude, b.latitude)), i1 = bucket(max(a.latitude, b.latitude))
                    for i in i0...i1 { buckets[i].append((a, b)) }
                }
            }
        }

        func bucket(_ latitude: Double) -> Int { min(max(Int((latitude - minLatitude) / step), 0), buckets.count - 1) }

        func contains(_ c: Coordinate) -> Bool {
            guard !buckets.isEmpty, c.latitude >= minLatitude, c.latitude <= minLatitude + step * Double(buckets.count) else { return false }
            var inside = false
            for (a, b) in buckets[bucket(c.latitude)] where (a.latitude > c.latitude) != (b.latitude > c.latitude) {
                let x = a.longitude + (c.latitude - a.latitude) * (b.longitude - a.longitude) / (b.latitude - a.latitude)
                if c.longitude < x { inside.toggle() }
            }
            return inside
        }
    }

    /// Checks every category of `profile` with facilities; returns per category the households coverage and
    /// the isochrone give within the largest level.
    @discardableResult
    static func checkAgreement(_ data: Loaded, profile: LifeCircleProfile, file: String) throws -> [String: (coverage: Int, isochrone: Int)] {
        let coverage = try Coverage.run(graph: data.graph, snapper: data.snapper, buildings: data.buildings,
                                        facilities: data.facilities, profile: profile)
        let flat = try Coverage.run(graph: data.graph, snapper: data.snapper, buildings: data.buildings,
                                    facilities: data.facilities, profile: everyCategoryTo(profile))
        let placed = PlacedBuildings(data.buildings, snapper: data.snapper, rule: profile.reach)
        let options = Isochrone.Options(reach: profile.reach)
        let workspace = IsochroneWorkspace()
        var figures: [String: (coverage: Int, isochrone: Int)] = [:]
        var checkedCategories = 0
        for (c, category) in profile.categories.enumerated() where (coverage.facilitiesPlaced[category] ?? 0) > 0 {
            checkedCategories += 1
            var contours: [Isochrone.Contour] = profile.levels.map { .minutes($0.minutes) }
            for contour in profile.contours(for: category) where !contours.contains(contour) { contours.append(contour) }
            let result = try Isochrone.run(snapper: data.snapper, origin: .category(category), contours: contours, options: options,
                                           facilities: data.facilities, placedBuildings: placed, workspace: workspace)
            var mismatches: [String] = []
            var bandOf: [Isochrone.Contour: Containment] = [:]
            for band in result.bands {
                let inside = Containment(band.geometry)
                bandOf[band.contour] = inside
                var households = 0, buildings = 0
                for (b, building) in data.buildings.enumerated() {
                    let reached = flat.results.nearest(building: b, category: c).map { $0.distance.value <= band.distance.value } ?? false
                    if reached { households += building.households; buildings += 1 }
                    if inside.contains(building.point) != reached && mismatches.count < 5 {
                        mismatches.append("building \(building.id) (\(reached ? "reached" : "not reached"), \(flat.results.nearest(building: b, category: c)?.distance.value ?? -1) m)")
                    }
                }
                #expect(band.households == households && band.buildings == buildings,
                        "\(file) \(category) \(band.contour): isochrone \(band.households) households / \(band.buildings) buildings, coverage \(households) / \(buildings)")
                #expect(mismatches.isEmpty, "\(file) \(category) \(band.contour): \(mismatches)")
                if band.contour == .minutes(profile.levels.map(\.minutes).max()!) {
                    figures[category] = (households, band.households)
                }
            }
            // The planner's answers: each requirement of the category, met or not, is containment in its contour.
            for (l, level) in profile.levels.enumerated() {
                for (r, requirement) in level.categories.enumerated() where requirement.category == category {
                    let contour: Isochrone.Contour = profile.limit(requirement, at: level).value < profile.reach.distance(minutes: level.minutes).value
                        ? .meters(requirement.maxDistance!) : .minutes(level.minutes)
                    let inside = try #require(bandOf[contour])
                    let disagree = data.buildings.indices.filter { inside.contains(data.buildings[$0].point) != coverage.results.isMet(building: $0, level: l, requirement: r) }
                    #expect(disagree.isEmpty, "\(file) \(category) at \(level.minutes) min: \(disagree.count) buildings disagree")
                }
            }
        }
        #expect(checkedCategories >= 3, "\(file): only \(checkedCategories) categories have facilities")
        return figures
    }

    static func load(_ name: String) throws -> (TemporaryStore, Loaded) {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path(name))
        return (temporary, try Loaded(temporary.store))
    }

    @Test("Wudaokou: every building, every category, 5/10/15 minutes and the standard's radii; the clinic figures of the report agree",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func wudaokou() throws {
        let (temporary, data) = try Self.load("cn_beijing_haidian_wudaokou_2017.osm")
        let figures = try Self.checkAgreement(data, profile: .gb50180, file: "wudaokou")
        let clinic = try #require(figures["clinic"])
        // Once 6,427 households by coverage against 2,343 inside the isochrone.
        #expect(clinic.coverage == clinic.isochrone && clinic.coverage > 0)
        // The stored coverage run says the same.
        let stored = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        let c = try #require(stored.categoryIndex("clinic"))
        let covered = stored.results.indices.filter { stored.results.nearest(building: $0, category: c) != nil }
            .reduce(0) { $0 + stored.buildings[$1].households }
        #expect(covered == clinic.coverage)
        print("wudaokou clinic within 15 min: coverage \(clinic.coverage) households, isochrone \(clinic.isochrone)")
    }

    @Test("Helsinki centre: every building, every category", .enabled(if: SharedData.available, SharedData.skipReason))
    func helsinki() throws {
        let (_, data) = try Self.load("dense_helsinki_centre_2019.osm.pbf")
        try Self.checkAgreement(data, profile: .gb50180, file: "helsinki")
    }

    @Test("Andorra: every building, every category", .enabled(if: SharedData.available, SharedData.skipReason))
    func andorra() throws {
        let (_, data) = try Self.load("bench_andorra_2021-04-13.osm.pbf")
        try Self.checkAgreement(data, profile: .gb50180, file: "andorra")
    }

    @Test("a slower walking speed in the profile changes coverage and isochrones alike, and they still agree",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func slowerSpeed() throws {
        let (temporary, data) = try Self.load("cn_beijing_haidian_wudaokou_2017.osm")
        let slow = try LifeCircleProfile.gb50180.with(walkingSpeed: 0.9)
        let normal = try Self.checkAgreement(data, profile: .gb50180, file: "wudaokou 1.2 m/s")
        let slower = try Self.checkAgreement(data, profile: slow, file: "wudaokou 0.9 m/s")
        let clinicNormal = try #require(normal["clinic"]), clinicSlow = try #require(slower["clinic"])
        #expect(clinicSlow.coverage < clinicNormal.coverage && clinicSlow.isochrone < clinicNormal.isochrone)
        // The stored run under the slower profile gives the slower figure too.
        let stored = try CoverageJob.compute(store: temporary.store, profile: slow)
        let level = try #require(slow.levels.firstIndex { $0.minutes == 15 })
        let requirement = try #require(slow.levels[level].categories.firstIndex { $0.category == "clinic" })
        let met = stored.results.indices.filter { stored.results.isMet(building: $0, level: level, requirement: requirement) }
            .reduce(0) { $0 + stored.buildings[$1].households }
        #expect(met == clinicSlow.isochrone)
        // The isochrone's contour follows the rule: 15 minutes are 810 m at 0.9 m/s.
        let result = try Isochrone.run(snapper: data.snapper, origin: .category("clinic"), contours: [.minutes(15)],
                                       options: .init(reach: slow.reach), facilities: data.facilities, buildings: data.buildings)
        #expect(result.bands[0].distance.value == 810)
    }
}
