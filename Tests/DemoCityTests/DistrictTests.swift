import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import DemoCity
import GridModel

@Suite struct DeterminismTests {
    @Test func sameSeedGivesIdenticalText() {
        let again = District.generate(.demo)
        #expect(again.osmXML() == demo.osmXML())
        #expect(again.gridsGeoJSON() == demo.gridsGeoJSON())
        #expect(again.communitiesGeoJSON() == demo.communitiesGeoJSON())
        #expect(again.registerCSV() == demo.registerCSV())
    }

    @Test func differentSeedGivesDifferentDistrict() {
        var parameters = DistrictParameters.demo
        parameters.seed &+= 1
        #expect(District.generate(parameters).osmXML() != demo.osmXML())
    }
}

@Suite struct DemoContentTests {
    @Test func countsAreInDemoRanges() {
        let buildingWays = demo.ways.filter { tagValue($0.tags, "building") != nil }.count
        let households = demo.buildings.reduce(0) { $0 + $1.households }
        #expect((600...900).contains(buildingWays + demo.relations.count))
        #expect(demo.buildings.count == buildingWays)
        #expect((20_000...35_000).contains(households))
        #expect((6...9).contains(demo.communities.count))
        #expect(demo.relations.count >= 1)
    }

    @Test func buildingTagsVary() {
        let residential = demo.buildings.filter(\.isResidential)
        #expect(residential.contains { !$0.levelsTagged })
        #expect(residential.contains { $0.levels >= 24 && $0.levels <= 33 })
        #expect(residential.allSatisfy { (6...33).contains($0.levels) })
        let kinds = Set(demo.buildings.map(\.building))
        for kind in ["residential", "apartments", "retail", "school", "commercial"] { #expect(kinds.contains(kind)) }
    }

    @Test func everyReferenceResolves() {
        for way in demo.ways {
            for id in way.nodeIDs { #expect(demo.node(id: id)?.id == id) }
        }
        let wayIDs = Set(demo.ways.map(\.id))
        for relation in demo.relations {
            for member in relation.members { #expect(member.type == .way && wayIDs.contains(member.ref)) }
        }
        #expect(Set(demo.nodes.map(\.id)).count == demo.nodes.count)
        #expect(wayIDs.count == demo.ways.count)
        #expect(demo.nodes.allSatisfy { $0.id > Int64(Int32.max) })
    }

    @Test func buildingRingsAreClosedAndDoNotOverlap() {
        var boxes: [Box] = []
        for way in demo.ways where tagValue(way.tags, "building") != nil {
            #expect(way.nodeIDs.count >= 5)
            #expect(way.nodeIDs.first == way.nodeIDs.last)
            #expect(Set(way.nodeIDs).count >= 4)
            boxes.append(Box(way.nodeIDs.map { demo.node(id: $0)!.coordinate }))
        }
        let waysByID = Dictionary(uniqueKeysWithValues: demo.ways.map { ($0.id, $0) })
        for relation in demo.relations where tagValue(relation.tags, "building") != nil {
            let outer = relation.members.first { $0.role == "outer" }!
            boxes.append(Box(waysByID[outer.ref]!.nodeIDs.map { demo.node(id: $0)!.coordinate }))
        }
        boxes.sort { $0.minX < $1.minX }
        var overlaps = 0
        for a in boxes.indices {
            var b = a + 1
            while b < boxes.count && boxes[b].minX < boxes[a].maxX {
                if boxes[a].overlapArea(boxes[b]) > 0 { overlaps += 1 }
                b += 1
            }
        }
        #expect(overlaps == 0)
    }

    /// No highway segment touches a building footprint (buildings are convex rings here).
    @Test func pathsStayOutsideBuildings() {
        var footprints: [(box: Box, ring: [Coordinate])] = []
        for way in demo.ways where tagValue(way.tags, "building") != nil {
            let ring = way.nodeIDs.map { demo.node(id: $0)!.coordinate }
            footprints.append((Box(ring), ring))
        }
        func cross(_ o: Coordinate, _ a: Coordinate, _ b: Coordinate) -> Double {
            (a.longitude - o.longitude) * (b.latitude - o.latitude) - (a.latitude - o.latitude) * (b.longitude - o.longitude)
        }
        func intersects(_ p: Coordinate, _ q: Coordinate, _ a: Coordinate, _ b: Coordinate) -> Bool {
            let d1 = cross(a, b, p), d2 = cross(a, b, q), d3 = cross(p, q, a), d4 = cross(p, q, b)
            return ((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0))
        }
        func inside(_ p: Coordinate, _ ring: [Coordinate]) -> Bool {
            (0..<(ring.count - 1)).allSatisfy { cross(ring[$0], ring[$0 + 1], p) > 0 }
        }
        var touching = 0
        for way in demo.ways where tagValue(way.tags, "highway") != nil {
            let points = way.nodeIDs.map { demo.node(id: $0)!.coordinate }
            for k in 0..<(points.count - 1) {
                let p = points[k], q = points[k + 1]
                let segment = Box([p, q])
                for f in footprints where f.box.minX <= segment.maxX && segment.minX <= f.box.maxX
                    && f.box.minY <= segment.maxY && segment.minY <= f.box.maxY {
                    if inside(p, f.ring) || inside(q, f.ring)
                        || (0..<(f.ring.count - 1)).contains(where: { intersects(p, q, f.ring[$0], f.ring[$0 + 1]) }) {
                        touching += 1
                    }
                }
            }
        }
        #expect(touching == 0)
    }

    @Test func everyFacilityCategoryAppearsTwice() {
        var counts: [String: Int] = [:]
        for node in demo.nodes { if let c = category(of: node.tags) { counts[c, default: 0] += 1 } }
        for way in demo.ways { if let c = category(of: way.tags) { counts[c, default: 0] += 1 } }
        for c in District.FacilityCategory.allCases {
            #expect((counts[c.rawValue] ?? 0) >= 2, "\(c.rawValue)")
            #expect(demo.facilities.filter { $0.category == c }.count == (counts[c.rawValue] ?? 0), "\(c.rawValue)")
        }
    }

    /// Straight-line distance bounds walking distance from below, so a building beyond the radius of every
    /// facility is uncovered whatever the network; one well inside the radius is almost surely covered.
    @Test func coverageIsPartialForEveryCategory() {
        let radius: [District.FacilityCategory: Double] = [
            .kindergarten: 300, .school: 500, .clinic: 1000, .pharmacy: 500, .nursingHome: 1000,
            .supermarket: 500, .convenience: 300, .greengrocer: 500, .marketplace: 500,
            .communityCentre: 300, .busStop: 500, .subwayEntrance: 800,
        ]
        let homes = demo.buildings.filter(\.isResidential).map { metres($0.centroid, demo) }
        for (category, r) in radius {
            let sites = demo.facilities.filter { $0.category == category }.map { metres($0.coordinate, demo) }
            let nearest = homes.map { h in sites.map { hypot($0.x - h.x, $0.y - h.y) }.min() ?? .infinity }
            #expect(nearest.contains { $0 > r }, "\(category) fully covered")
            #expect(nearest.contains { $0 < r / 2 }, "\(category) covers nothing")
        }
    }

    @Test func walkRulesAreExercised() {
        let highways = demo.ways.filter { tagValue($0.tags, "highway") != nil }
        #expect(highways.contains { tagValue($0.tags, "highway") == "motorway" })
        #expect(highways.contains { tagValue($0.tags, "foot") == "no" })
        #expect(highways.contains { tagValue($0.tags, "access") == "private" })
        for kind in ["primary", "secondary", "tertiary", "residential", "service", "footway", "path", "steps"] {
            #expect(highways.contains { tagValue($0.tags, "highway") == kind }, "\(kind)")
        }
        #expect(highways.contains { tagValue($0.tags, "name")?.hasSuffix(" Road") == true })
    }

    /// One connected walkable component; the motorway shares no node with it.
    @Test func walkingNetworkIsConnectedAndMotorwayIsApart() {
        let network = demo.walkingNetwork()
        #expect(network.ways.count == demo.walkableWayCount)
        #expect(network.nodeIDs.count == demo.walkableNodeCount)
        var parent = Array(network.nodeIDs.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for way in network.ways {
            let first = find(network.index(ofNode: way[0])!)
            for id in way.dropFirst() { parent[find(network.index(ofNode: id)!)] = first }
        }
        #expect(Set(network.nodeIDs.indices.map(find)).count == 1)
        let motorway = demo.ways.first { tagValue($0.tags, "highway") == "motorway" }!
        #expect(motorway.nodeIDs.allSatisfy { network.index(ofNode: $0) == nil })
        // Streets meet at shared junction nodes.
        var uses: [Int64: Int] = [:]
        for way in network.ways { for id in Set(way) { uses[id, default: 0] += 1 } }
        #expect(uses.values.filter { $0 >= 2 }.count > 100)
    }

    @Test func registerMatchesBuildings() {
        let byWay = Dictionary(uniqueKeysWithValues: demo.buildings.map { ($0.wayID, $0) })
        var sums: [Int64: Int] = [:]
        for row in demo.register {
            #expect((1...4).contains(row.households))
            #expect(row.floor >= 1)
            sums[row.buildingWayID, default: 0] += row.households
        }
        for (way, sum) in sums { #expect(byWay[way]?.households == sum) }
        let residential = demo.buildings.filter(\.isResidential).count
        #expect(Double(sums.count) > 0.05 * Double(residential) && Double(sums.count) < 0.2 * Double(residential))
        let csv = demo.registerCSV().split(separator: "\n")
        #expect(csv.first == "building_id,unit,floor,households")
        #expect(csv.count == demo.register.count + 1)
        #expect(csv[1].hasPrefix("w"))
    }
}

@Suite struct AdministrativeTests {
    @Test func communitiesTileTheDistrict() {
        let district = (demo.northEast.longitude - demo.southWest.longitude) * (demo.northEast.latitude - demo.southWest.latitude)
        var total = 0.0
        for c in demo.communities {
            #expect(c.ring.first == c.ring.last)
            #expect(signedArea(c.ring) > 0)
            #expect(c.code == c.adminCode + c.streetCode + c.communityCode)
            #expect(c.code.count == 12 && c.code.allSatisfy(\.isNumber))
            #expect(c.adminCode == "110105")
            total += signedArea(c.ring)
        }
        #expect(abs(total - district) / district < 1e-4)
        for a in demo.communities.indices {
            for b in demo.communities.indices where a < b {
                #expect(Box(demo.communities[a].ring).overlapArea(Box(demo.communities[b].ring)) < district * 1e-9)
            }
        }
        #expect(Set(demo.communities.map(\.streetCode)) == ["001", "002"])
        #expect(Set(demo.communities.map(\.code)).count == demo.communities.count)
    }

    @Test func gridsTileTheirCommunity() {
        for c in demo.communities {
            let grids = demo.grids.filter { $0.communityCode == c.code }
            #expect((3...8).contains(grids.count))
            let area = signedArea(c.ring)
            let sum = grids.reduce(0) { $0 + signedArea($1.ring) }
            #expect(abs(sum - area) / area < 1e-4)
            let outer = Box(c.ring)
            for g in grids {
                let box = Box(g.ring)
                #expect(abs(box.overlapArea(outer) - box.area) <= box.area * 1e-9)
            }
            for a in grids.indices {
                for b in grids.indices where a < b {
                    #expect(Box(grids[a].ring).overlapArea(Box(grids[b].ring)) < area * 1e-9)
                }
            }
            #expect(grids.reduce(0) { $0 + $1.households } == c.households)
        }
        #expect(demo.grids.reduce(0) { $0 + $1.households } == demo.buildings.reduce(0) { $0 + $1.households })
    }

    /// Every vertex of a ring that lies on a neighbour's edge is also a vertex of that neighbour.
    @Test func neighbouringGridsShareVertices() {
        let vertices = Set(demo.grids.flatMap { $0.ring })
        for g in demo.grids {
            for k in 0..<(g.ring.count - 1) {
                let a = g.ring[k], b = g.ring[k + 1]
                for v in vertices where v != a && v != b {
                    let onX = a.latitude == b.latitude && v.latitude == a.latitude
                        && min(a.longitude, b.longitude) < v.longitude && v.longitude < max(a.longitude, b.longitude)
                    let onY = a.longitude == b.longitude && v.longitude == a.longitude
                        && min(a.latitude, b.latitude) < v.latitude && v.latitude < max(a.latitude, b.latitude)
                    #expect(!onX && !onY)
                }
            }
        }
    }

    @Test func gridCodesRunWestToEastThenNorthToSouth() {
        for c in demo.communities {
            let grids = demo.grids.filter { $0.communityCode == c.code }
            for (k, g) in grids.enumerated() {
                #expect(g.code.count == 15 && g.code.allSatisfy(\.isNumber))
                #expect(g.code == c.code + String(format: "%03d", k + 1))
            }
            for k in 1..<grids.count {
                let a = Box(grids[k - 1].ring), b = Box(grids[k].ring)
                let sameBand = a.minY == b.minY && a.maxY == b.maxY
                #expect((sameBand && b.minX >= a.maxX) || b.maxY <= a.minY)
            }
        }
    }

    /// A rebalancing run needs work: some grid holds at least twice its neighbour's households.
    @Test func someNeighbouringGridsAreUnbalanced() {
        var unbalanced = 0
        for c in demo.communities {
            let grids = demo.grids.filter { $0.communityCode == c.code }
            for a in grids.indices {
                for b in grids.indices where a < b {
                    let shared = Set(grids[a].ring).intersection(grids[b].ring).count >= 2
                    let (x, y) = (grids[a].households, grids[b].households)
                    if shared && min(x, y) > 0 && max(x, y) >= 2 * min(x, y) { unbalanced += 1 }
                }
            }
        }
        #expect(unbalanced >= 2)
    }

    @Test func buildingsKnowTheirGrid() {
        let grids = Dictionary(uniqueKeysWithValues: demo.grids.map { ($0.code, $0) })
        for b in demo.buildings {
            let grid = grids[b.gridCode]
            #expect(grid != nil)
            #expect(b.communityCode == grid?.communityCode)
            if let grid {
                let box = Box(grid.ring)
                #expect(box.minX < b.centroid.longitude && b.centroid.longitude < box.maxX)
                #expect(box.minY < b.centroid.latitude && b.centroid.latitude < box.maxY)
            }
        }
    }
}

@Suite struct ExportTests {
    final class Counter: NSObject, XMLParserDelegate {
        var counts: [String: Int] = [:]
        var osmAttributes: [String: String] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            counts[name, default: 0] += 1
            if name == "osm" { osmAttributes = attributes }
        }
    }

    @Test func xmlParses() {
        let xml = demo.osmXML()
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.osmAttributes["version"] == "0.6")
        #expect(counter.osmAttributes["generator"] == "CommunityGrid demo")
        #expect(counter.counts["bounds"] == 1)
        #expect(counter.counts["node"] == demo.nodes.count)
        #expect(counter.counts["way"] == demo.ways.count)
        #expect(counter.counts["relation"] == demo.relations.count)
        #expect(xml.contains("lat=\"39.9300000\" lon=\"116.4600000\""))
    }

    @Test func xmlEscapesTagValues() {
        var district = demo
        district.nodes[0].tags = [("name", "A & B <\"'>")]
        #expect(district.osmXML().contains("v=\"A &amp; B &lt;&quot;&apos;&gt;\""))
    }

    @Test func geoJSONParses() throws {
        let communities = try JSONSerialization.jsonObject(with: Data(demo.communitiesGeoJSON().utf8)) as? [String: Any]
        let features = communities?["features"] as? [[String: Any]] ?? []
        #expect(features.count == demo.communities.count)
        let properties = features.first?["properties"] as? [String: Any] ?? [:]
        #expect(Set(properties.keys) == ["code", "name", "admin_code", "street_code", "community_code"])
        let grids = try JSONSerialization.jsonObject(with: Data(demo.gridsGeoJSON().utf8)) as? [String: Any]
        let gridFeatures = grids?["features"] as? [[String: Any]] ?? []
        #expect(gridFeatures.count == demo.grids.count)
        let gridProperties = gridFeatures.first?["properties"] as? [String: Any] ?? [:]
        #expect(Set(gridProperties.keys) == ["code", "name", "community"])
        let geometry = gridFeatures.first?["geometry"] as? [String: Any]
        #expect(geometry?["type"] as? String == "Polygon")
        #expect(demo.gridsGeoJSON().contains("[116.4600000,"))
    }
}

@Suite struct CityTests {
    @Test func cityLandsNearTargetNodeCount() {
        for target in [10_000, 25_000, 40_000] {
            let city = District.generate(.city(targetNetworkNodes: target))
            let count = Double(city.walkableNodeCount)
            #expect(abs(count - Double(target)) / Double(target) < 0.25, "\(target): \(count)")
        }
    }

    @Test func tinyParametersDoNotTrap() {
        for (e, n, ce, cn) in [(1, 1, 1, 1), (2, 1, 5, 5), (3, 2, 2, 1), (5, 3, 0, 0)] {
            let d = District.generate(DistrictParameters(seed: 7, blocksEast: e, blocksNorth: n,
                                                         communitiesEast: ce, communitiesNorth: cn))
            #expect(!d.communities.isEmpty && !d.grids.isEmpty)
            #expect(d.walkableWayCount > 0)
        }
    }
}
