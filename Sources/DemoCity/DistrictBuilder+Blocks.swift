import Foundation
import GridModel

/// One building planned in a compound row, before it is placed.
private struct Plan {
    enum Kind { case slab, tower, kindergarten, retail }
    var kind: Kind
    var length: Double
    var depth: Double
    var levels: Int
}

private let buildingKinds = ["residential", "apartments"]

extension DistrictBuilder {
    func buildBlock(_ i: Int, _ j: Int) {
        let index = j * east + i
        var rng = SplitMix64(seed: p.seed, stream: 2, index: UInt64(index))
        switch blockKinds[index] {
        case .residential: buildCompound(i, j, &rng)
        case .school: buildSchool(i, j, &rng)
        case .park: buildPark(i, j, &rng)
        case .commercial: buildCommercial(i, j, &rng)
        }
        for placement in placements[index] where !placement.asBuilding {
            placeFacilityNode(placement.category, i, j, &rng)
        }
    }

    // MARK: Residential compound (小区)

    /// East–west slab rows on both sides of a north–south compound road; a footway runs along the north
    /// side of each row with a short spur to every building's door.
    private func buildCompound(_ i: Int, _ j: Int, _ rng: inout SplitMix64) {
        let x0 = Double(i) * Layout.block, y0 = Double(j) * Layout.block
        let spineX = x0 + Layout.block / 2
        let angle = rng.chance(0.25) ? 0 : rng.double(-6...6) * .pi / 180
        let c = cos(abs(angle)), s = sin(abs(angle))
        let sides: [(lo: Double, hi: Double)] = [(x0 + Layout.setback, spineX - 8), (spineX + 8, x0 + Layout.block - Layout.setback)]
        let root = nameRoots[rng.index(nameRoots.count)]
        let compoundName = root.hanzi + compoundSuffixes[rng.index(compoundSuffixes.count)]
        let f = Layout.fence
        addBox(x0 + f, y0 + f, x0 + Layout.block - f, y0 + Layout.block - f,
               [("landuse", "residential"), ("name", compoundName)])

        let blockPlacements = placements[j * east + i]
        var kindergarten = blockPlacements.contains { $0.category == .kindergarten && $0.asBuilding }
        var retail = rng.chance(0.15)
        var y = y0 + 22 + rng.double(0...8)
        let top = y0 + Layout.block - 32
        var spine: [Int64] = []
        var number = 1
        var firstRow = true
        while true {
            var rowPlans: [[Plan]] = []
            for side in 0..<2 {
                let width = sides[side].hi - sides[side].lo
                if firstRow && side == 1 && kindergarten {
                    rowPlans.append([Plan(kind: .kindergarten, length: 40, depth: 26, levels: rng.int(2...3))])
                } else if firstRow && side == 0 && retail {
                    rowPlans.append([Plan(kind: .retail, length: rng.double(40...60), depth: rng.double(12...14), levels: 2)])
                } else {
                    rowPlans.append(planSide(&rng, width: width, c: c, s: s))
                }
            }
            var rowHeight = 0.0
            var tallest = 0
            for plan in rowPlans.joined() {
                rowHeight = max(rowHeight, plan.length * s + plan.depth * c)
                tallest = max(tallest, plan.levels)
            }
            if y + rowHeight > top { break }
            if firstRow { kindergarten = false; retail = false }
            firstRow = false
            let branchY = y + rowHeight + 6
            let hub = addNode(spineX, branchY)
            spine.append(hub)
            let cy = y + rowHeight / 2
            for side in 0..<2 {
                let plans = rowPlans[side]
                let widths = plans.map { $0.length * c + $0.depth * s }
                let used = widths.reduce(0, +) + 8 * Double(plans.count - 1)
                var x = sides[side].lo + rng.double(0...max(0, sides[side].hi - sides[side].lo - used))
                var branch: [(x: Double, id: Int64)] = []
                for (k, plan) in plans.enumerated() {
                    let cx = x + widths[k] / 2
                    x += widths[k] + 8
                    addPlannedBuilding(plan, cx: cx, cy: cy, angle: angle, number: &number, rng: &rng)
                    // Door just outside the middle of the north wall.
                    let out = plan.depth / 2 + 2
                    let doorX = cx - sin(angle) * out, doorY = cy + cos(angle) * out
                    let door = addNode(doorX, doorY)
                    let junction = addNode(doorX, branchY)
                    addWay([junction, door], footwayTags)
                    branch.append((doorX, junction))
                }
                if branch.isEmpty { continue }
                branch.sort { abs($0.x - spineX) < abs($1.x - spineX) }
                addWay([hub] + branch.map(\.id), footwayTags)
            }
            // Sunlight spacing grows with height; held to 25–40 m as in dense Beijing compounds.
            let gap = min(40, max(25, 1.6 * Double(tallest) * 2.9)) + rng.double(0...4)
            y += rowHeight + gap
        }
        // One gate on the south street, often a second on the north street.
        var road = [southNode(i, j, 2), addNode(spineX, y0 + f, gateTags)] + spine
        if rng.chance(0.6) || spine.isEmpty {
            road += [addNode(spineX, y0 + Layout.block - f, gateTags), northNode(i, j, 2)]
        }
        addWay(road, compoundRoadTags)
    }

    private func planSide(_ rng: inout SplitMix64, width: Double, c: Double, s: Double) -> [Plan] {
        func slab(_ range: ClosedRange<Double>) -> Plan {
            let r = rng.unit()
            let levels = r < 0.65 ? (rng.chance(0.8) ? 6 : 7) : (r < 0.87 ? rng.int(9...12) : rng.int(13...18))
            return Plan(kind: .slab, length: rng.double(range), depth: rng.double(12...15), levels: levels)
        }
        func tower() -> Plan {
            Plan(kind: .tower, length: rng.double(24...30), depth: rng.double(18...24), levels: rng.int(24...33))
        }
        let r = rng.unit()
        var plans: [Plan]
        if r < 0.6 {
            plans = [slab(60...80)]
        } else if r < 0.94 {
            plans = [slab(50...56), slab(50...56)]
        } else if r < 0.985 {
            plans = [slab(50...60), tower()]
        } else {
            plans = [tower(), tower()]
        }
        while plans.count > 1 {
            let used = plans.reduce(0) { $0 + $1.length * c + $1.depth * s } + 8 * Double(plans.count - 1)
            if used <= width { break }
            plans.removeLast()
        }
        return plans
    }

    private func addPlannedBuilding(_ plan: Plan, cx: Double, cy: Double, angle: Double, number: inout Int,
                                    rng: inout SplitMix64) {
        switch plan.kind {
        case .kindergarten:
            let name = nameRoots[rng.index(nameRoots.count)].hanzi + "幼儿园"
            let id = addRotatedBox(cx, cy, length: plan.length, depth: plan.depth, angle: angle,
                                   [("building", "kindergarten"), ("amenity", "kindergarten"), ("name", name),
                                    ("building:levels", levelStrings[plan.levels])])
            addBuildingRecord(wayID: id, building: "kindergarten", levels: plan.levels, tagged: true,
                              spec: HouseholdSpec(levels: plan.levels), households: 0, x: cx, y: cy)
            addFacility(.kindergarten, .way, id, name, cx, cy)
        case .retail:
            let id = addRotatedBox(cx, cy, length: plan.length, depth: plan.depth, angle: angle, retailTags)
            addBuildingRecord(wayID: id, building: "retail", levels: 2, tagged: true,
                              spec: HouseholdSpec(levels: 2), households: 0, x: cx, y: cy)
        case .slab, .tower:
            var spec = HouseholdSpec(levels: plan.levels)
            if plan.kind == .slab {
                spec.units = plan.length < 65 ? 2 : (plan.length < 78 ? 3 : 4)
                spec.perFloor = 2
            } else {
                spec.units = rng.chance(0.9) ? 1 : 2
                spec.perFloor = spec.units == 1 ? 4 : 3
            }
            spec.groundFloor = rng.chance(0.3) ? 1 : spec.perFloor
            let households = spec.units * (spec.groundFloor + spec.perFloor * (plan.levels - 1))
            let tagged = !rng.chance(0.07)
            let kind = plan.levels <= 7 ? (rng.chance(0.8) ? 0 : 1) : (rng.chance(0.6) ? 1 : 0)
            let id = addRotatedBox(cx, cy, length: plan.length, depth: plan.depth, angle: angle,
                                   residentialTags(kind: kind, levels: tagged ? plan.levels : 0, number: number))
            number += 1
            addBuildingRecord(wayID: id, building: buildingKinds[kind], levels: plan.levels, tagged: tagged,
                              spec: spec, households: households, x: cx, y: cy)
        }
    }

    /// Shared tag arrays for residential buildings: few distinct (kind, levels, number) combinations.
    private func residentialTags(kind: Int, levels: Int, number: Int) -> Tags {
        let key = (kind * 100 + levels) * 1000 + number
        if let tags = buildingTagCache[key] { return tags }
        var tags: Tags = [("building", buildingKinds[kind])]
        if levels > 0 { tags.append(("building:levels", levelStrings[levels])) }
        tags.append(("name", String(number) + "号楼"))
        buildingTagCache[key] = tags
        return tags
    }

    // MARK: Other blocks

    private func buildSchool(_ i: Int, _ j: Int, _ rng: inout SplitMix64) {
        let x0 = Double(i) * Layout.block, y0 = Double(j) * Layout.block
        let root = nameRoots[rng.index(nameRoots.count)].hanzi
        let name = rng.chance(0.4) ? root + "中学" : root + "小学"
        let levels = rng.int(4...5)
        let main = addBox(x0 + 100, y0 + 191, x0 + 200, y0 + 209,
                          [("building", "school"), ("amenity", "school"), ("name", name),
                           ("building:levels", levelStrings[levels])])
        addBuildingRecord(wayID: main, building: "school", levels: levels, tagged: true, spec: HouseholdSpec(levels: levels),
                          households: 0, x: x0 + 150, y: y0 + 200)
        addFacility(.school, .way, main, name, x0 + 150, y0 + 200)
        let gym = addBox(x0 + 180, y0 + 50, x0 + 250, y0 + 100,
                         [("building", "school"), ("name", name + "体育馆"), ("building:levels", "2")])
        addBuildingRecord(wayID: gym, building: "school", levels: 2, tagged: true, spec: HouseholdSpec(levels: 2),
                          households: 0, x: x0 + 215, y: y0 + 75)
        addBox(x0 + 40, y0 + 40, x0 + 130, y0 + 150, [("leisure", "pitch"), ("sport", "soccer")])
        let gate = addNode(x0 + 150, y0 + Layout.fence, gateTags)
        let fork = addNode(x0 + 150, y0 + 75)
        let mid = addNode(x0 + 150, y0 + 130)
        let door = addNode(x0 + 150, y0 + 189)
        addWay([southNode(i, j, 2), gate, fork, mid, door], footwayTags)
        addWay([fork, addNode(x0 + 178, y0 + 75)], footwayTags)
    }

    /// A park with paths from all four streets to a central square, one stretch of steps up a small hill.
    private func buildPark(_ i: Int, _ j: Int, _ rng: inout SplitMix64) {
        let x0 = Double(i) * Layout.block, y0 = Double(j) * Layout.block
        let name = nameRoots[rng.index(nameRoots.count)].hanzi + "公园"
        addBox(x0 + 15, y0 + 15, x0 + 285, y0 + 285, [("leisure", "park"), ("name", name)])
        let centre = addNode(x0 + 150, y0 + 150)
        addWay([southNode(i, j, 2), addNode(x0 + 150, y0 + 50), addNode(x0 + 150, y0 + 100), centre], footwayTags)
        addWay([westNode(i, j, 2), addNode(x0 + 50, y0 + 150), addNode(x0 + 100, y0 + 150), centre], pathTags)
        addWay([eastNode(i, j, 2), addNode(x0 + 250, y0 + 150), addNode(x0 + 200, y0 + 150), centre], pathTags)
        let foot = addNode(x0 + 150, y0 + 250)
        let landing = addNode(x0 + 150, y0 + 220)
        addWay([northNode(i, j, 2), foot], footwayTags)
        addWay([foot, landing], [("highway", "steps"), ("step_count", "36"), ("incline", "down")])
        addWay([landing, addNode(x0 + 150, y0 + 185), centre], pathTags)
    }

    /// Mall, office tower, supermarket and a courtyard office block (multipolygon with a hole); the first
    /// such block also gets a car-park ramp closed to pedestrians and a private staff road.
    private func buildCommercial(_ i: Int, _ j: Int, _ rng: inout SplitMix64) {
        let x0 = Double(i) * Layout.block, y0 = Double(j) * Layout.block
        let root = nameRoots[rng.index(nameRoots.count)].hanzi
        func box(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ tags: Tags, _ building: String, _ levels: Int) -> Int64 {
            let id = addBox(x0 + a, y0 + b, x0 + c, y0 + d, tags)
            addBuildingRecord(wayID: id, building: building, levels: levels, tagged: true, spec: HouseholdSpec(levels: levels),
                              households: 0, x: x0 + (a + c) / 2, y: y0 + (b + d) / 2)
            return id
        }
        let mallLevels = rng.int(3...5)
        _ = box(25, 25, 140, 105, [("building", "retail"), ("shop", "mall"), ("name", root + "购物中心"),
                                   ("building:levels", levelStrings[mallLevels])], "retail", mallLevels)
        let towerLevels = rng.int(20...28)
        _ = box(165, 40, 215, 84, [("building", "commercial"), ("name", root + "国际中心"),
                                   ("building:levels", levelStrings[towerLevels])], "commercial", towerLevels)
        let marketName = root + "超市"
        let market = box(170, 150, 270, 200, [("building", "retail"), ("shop", "supermarket"), ("name", marketName),
                                              ("building:levels", "1")], "retail", 1)
        addFacility(.supermarket, .way, market, marketName, x0 + 220, y0 + 175)
        let outer = addBox(x0 + 30, y0 + 150, x0 + 135, y0 + 260, noTags)
        let inner = addBox(x0 + 60, y0 + 185, x0 + 105, y0 + 225, noTags, clockwise: true)
        relations.append(District.Relation(
            id: Int64(relations.count) + 1,
            members: [.init(type: .way, ref: outer, role: "outer"), .init(type: .way, ref: inner, role: "inner")],
            tags: [("type", "multipolygon"), ("building", "commercial"), ("name", root + "大厦"), ("building:levels", "5")]))

        let f = Layout.fence
        let n62 = addNode(x0 + 150, y0 + 62), n175 = addNode(x0 + 150, y0 + 175), n205 = addNode(x0 + 150, y0 + 205)
        addWay([southNode(i, j, 2), addNode(x0 + 150, y0 + f, gateTags), n62, n175, n205,
                addNode(x0 + 150, y0 + Layout.block - f, gateTags), northNode(i, j, 2)], compoundRoadTags)
        addWay([n62, addNode(x0 + 142, y0 + 62)], footwayTags)
        addWay([n62, addNode(x0 + 163, y0 + 62)], footwayTags)
        addWay([n175, addNode(x0 + 168, y0 + 175)], footwayTags)
        addWay([n205, addNode(x0 + 137, y0 + 205)], footwayTags)
        if !firstCommercialDone {
            firstCommercialDone = true
            addWay([eastNode(i, j, 1), addNode(x0 + 262, y0 + 115), addNode(x0 + 235, y0 + 122)],
                   [("highway", "service"), ("service", "driveway"), ("foot", "no"), ("incline", "down"),
                    ("name", "地下车库坡道")])
            addWay([northNode(i, j, 3), addNode(x0 + 225, y0 + 240), addNode(x0 + 250, y0 + 225)],
                   [("highway", "service"), ("access", "private")])
        }
    }

    // MARK: Facility nodes

    /// Ground-floor shops and stations sit on the strip between the street and the compound fence.
    private func placeFacilityNode(_ category: District.FacilityCategory, _ i: Int, _ j: Int, _ rng: inout SplitMix64) {
        let x0 = Double(i) * Layout.block, y0 = Double(j) * Layout.block
        let t = rng.double(30...270), d = rng.double(10...14)
        let (x, y): (Double, Double)
        switch rng.index(4) {
        case 0: (x, y) = (x0 + t, y0 + d)
        case 1: (x, y) = (x0 + Layout.block - d, y0 + t)
        case 2: (x, y) = (x0 + t, y0 + Layout.block - d)
        default: (x, y) = (x0 + d, y0 + t)
        }
        let root = nameRoots[rng.index(nameRoots.count)].hanzi
        let name: String
        let tags: Tags
        switch category {
        case .clinic:
            name = root + "社区卫生服务站"
            tags = [("amenity", "clinic"), ("healthcare", "clinic"), ("name", name)]
        case .pharmacy:
            name = root + "大药房"
            tags = [("amenity", "pharmacy"), ("healthcare", "pharmacy"), ("name", name)]
        case .school:
            name = root + "实验小学"
            tags = [("amenity", "school"), ("isced:level", "1"), ("name", name)]
        case .kindergarten:
            name = root + "幼儿园"
            tags = [("amenity", "kindergarten"), ("name", name)]
        case .nursingHome:
            name = root + "养老照料中心"
            tags = [("amenity", "social_facility"), ("social_facility", "nursing_home"),
                    ("social_facility:for", "senior"), ("name", name)]
        case .supermarket:
            name = root + "超市"
            tags = [("shop", "supermarket"), ("name", name)]
        case .convenience:
            name = root + "便利店"
            tags = [("shop", "convenience"), ("name", name)]
        case .greengrocer:
            name = root + "果蔬店"
            tags = [("shop", "greengrocer"), ("name", name)]
        case .marketplace:
            name = root + "菜市场"
            tags = [("amenity", "marketplace"), ("name", name)]
        case .communityCentre:
            name = root + "社区服务站"
            tags = [("amenity", "community_centre"), ("name", name)]
        case .busStop:
            name = root + "口"
            tags = [("highway", "bus_stop"), ("public_transport", "platform"), ("bus", "yes"), ("name", name)]
        case .subwayEntrance:
            name = root + "站"
            tags = [("railway", "subway_entrance"), ("name", name)]
        }
        let id = addNode(x, y, tags)
        addFacility(category, .node, id, name, x, y)
    }
}
