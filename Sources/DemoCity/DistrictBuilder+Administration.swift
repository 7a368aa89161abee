import GridModel

/// A rectangle of cells: x in half blocks (west/east of each compound road), y in whole blocks.
struct CellRect {
    var hx0: Int, hx1: Int, jy0: Int, jy1: Int
}

private let chineseOrdinals = ["", "二", "三", "四", "五", "六", "七", "八", "九", "十"]

extension DistrictBuilder {
    func buildAdministration() -> ([District.Community], [District.Grid]) {
        var rng = SplitMix64(seed: p.seed, stream: 4)
        let cE = communitiesEast, cN = communitiesNorth
        let colStarts = starts(sizes(east, into: cE, &rng))
        let rowStarts = starts(sizes(north, into: cN, &rng))

        // Sub-districts (街道): about 5 × 5 communities each, at least two in the district.
        var sE = max(1, Int((Double(cE) / 5).rounded())), sN = max(1, Int((Double(cN) / 5).rounded()))
        if sE * sN == 1 && cE * cN >= 2 {
            if cE >= cN { sE = 2 } else { sN = 2 }
        }
        sE = min(sE, cE)
        sN = min(sN, cN)
        var streetRoots = Array(0..<nameRoots.count)
        rng.shuffle(&streetRoots)

        // Communities in reading order: north→south, west→east.
        var rects: [CellRect] = []
        var streetOfCommunity: [Int] = []
        for r in stride(from: cN - 1, through: 0, by: -1) {
            for c in 0..<cE {
                rects.append(CellRect(hx0: 2 * colStarts[c], hx1: 2 * colStarts[c + 1],
                                      jy0: rowStarts[r], jy1: rowStarts[r + 1]))
                streetOfCommunity.append((sN - 1 - r * sN / cN) * sE + c * sE / cE)
            }
        }
        let nameCount = nameRoots.count * communitySuffixes.count
        let nameStart = rng.index(nameCount)
        var skew = rects.map { _ in rng.chance(0.35) }
        var order = Array(rects.indices)
        rng.shuffle(&order)
        for k in order where skew.filter({ $0 }).count < min(2, rects.count) { skew[k] = true }

        var perStreet = [Int](repeating: 0, count: sE * sN)
        var gridRects: [[CellRect]] = []
        var corners = Set<Int>()
        let stride = 2 * east + 1
        for (k, rect) in rects.enumerated() {
            let parts = partition(rect, skew: skew[k])
            gridRects.append(parts)
            for g in parts {
                corners.insert(g.jy0 * stride + g.hx0)
                corners.insert(g.jy0 * stride + g.hx1)
                corners.insert(g.jy1 * stride + g.hx0)
                corners.insert(g.jy1 * stride + g.hx1)
            }
        }

        var communities: [District.Community] = []
        var grids: [District.Grid] = []
        var gridOfCell = [Int32](repeating: -1, count: 2 * east * north)
        for (k, rect) in rects.enumerated() {
            let street = streetOfCommunity[k]
            perStreet[street] += 1
            let streetCode = pad3(street + 1)
            let communityCode = pad3(perStreet[street])
            let code = "110105" + streetCode + communityCode
            let n = (nameStart + k * 37) % nameCount
            let repeatIndex = k / nameCount
            let ordinal = repeatIndex < chineseOrdinals.count ? chineseOrdinals[repeatIndex] : String(repeatIndex + 1)
            let name = nameRoots[n / communitySuffixes.count].hanzi + communitySuffixes[n % communitySuffixes.count]
                + ordinal + "社区"
            let streetRepeat = street / streetRoots.count
            let streetName = nameRoots[streetRoots[street % streetRoots.count]].hanzi
                + (streetRepeat < chineseOrdinals.count ? chineseOrdinals[streetRepeat] : String(streetRepeat + 1)) + "街道"
            var total = 0
            for (g, gridRect) in gridRects[k].enumerated() {
                var households = 0
                for jy in gridRect.jy0..<gridRect.jy1 {
                    for hx in gridRect.hx0..<gridRect.hx1 {
                        households += cellHouseholds[jy * 2 * east + hx]
                        gridOfCell[jy * 2 * east + hx] = Int32(grids.count)
                    }
                }
                total += households
                grids.append(District.Grid(
                    code: code + pad3(g + 1), name: name + "第" + String(g + 1) + "网格", communityCode: code,
                    ring: ring(gridRect, corners: corners), households: households))
            }
            communities.append(District.Community(
                adminCode: "110105", streetCode: streetCode, communityCode: communityCode, code: code, name: name,
                streetName: streetName, ring: ring(rect, corners: corners), households: total))
        }
        for b in buildings.indices {
            let grid = grids[Int(gridOfCell[buildingCells[b]])]
            buildings[b].gridCode = grid.code
            buildings[b].communityCode = grid.communityCode
        }
        for (k, rect) in rects.enumerated() { addCommunityCentre(rect, name: communities[k].name + "服务站") }
        return (communities, grids)
    }

    /// Community service station in the residential block nearest the community's centre.
    private func addCommunityCentre(_ rect: CellRect, name: String) {
        let cx = Double(rect.hx0 + rect.hx1) / 4, cy = Double(rect.jy0 + rect.jy1) / 2
        var best: (Int, Int)?
        var bestScore = Double.infinity
        for j in rect.jy0..<rect.jy1 {
            for i in (rect.hx0 / 2)..<(rect.hx1 / 2) {
                let dx = Double(i) + 0.5 - cx, dy = Double(j) + 0.5 - cy
                let score = dx * dx + dy * dy + (blockKinds[j * east + i] == .residential ? 0 : 1000)
                if score < bestScore { bestScore = score; best = (i, j) }
            }
        }
        guard let (i, j) = best else { return }
        let x = Double(i) * Layout.block + 95, y = Double(j) * Layout.block + 12
        let id = addNode(x, y, [("amenity", "community_centre"), ("name", name)])
        addFacility(.communityCentre, .node, id, name, x, y)
    }

    /// Grids of a community: horizontal bands of block rows, each cut west→east into columns of cells,
    /// balanced by households except in `skew` communities, where one grid gets 2–3× its neighbour.
    /// Returned in code order: bands north→south, west→east within a band.
    func partition(_ rect: CellRect, skew: Bool) -> [CellRect] {
        let width = rect.hx1 - rect.hx0, rows = rect.jy1 - rect.jy0
        func h(_ hx: Int, _ jy: Int) -> Int { cellHouseholds[jy * 2 * east + hx] }
        var rowTotals: [Int] = []   // north first
        for jy in stride(from: rect.jy1 - 1, through: rect.jy0, by: -1) {
            rowTotals.append((rect.hx0..<rect.hx1).reduce(0) { $0 + h($1, jy) })
        }
        let total = rowTotals.reduce(0, +)
        var target = min(8, max(3, Int((Double(total) / 600).rounded())))
        target = min(target, width * rows)
        var bands = target <= 3 ? 1 : (target <= 6 ? 2 : 3)
        bands = min(rows, max(bands, (target + width - 1) / width))
        let bandRows = balancedSizes(rowTotals, parts: bands)

        var bandTotals: [Int] = []
        var bandTops: [Int] = []   // jy1 of each band
        var top = rect.jy1
        for size in bandRows {
            bandTops.append(top)
            var sum = 0
            for jy in (top - size)..<top { sum += (rect.hx0..<rect.hx1).reduce(0) { $0 + h($1, jy) } }
            bandTotals.append(sum)
            top -= size
        }
        // Grids per band in proportion to households.
        var counts = bandTotals.enumerated().map { b, sum -> Int in
            let share = total > 0 ? Double(sum) / Double(total) : Double(bandRows[b]) / Double(rows)
            return min(width, max(1, Int((Double(target) * share).rounded())))
        }
        func load(_ b: Int) -> Double { Double(max(bandTotals[b], 1)) / Double(counts[b]) }
        while counts.reduce(0, +) < target,
              let b = counts.indices.filter({ counts[$0] < width }).max(by: { load($0) < load($1) }) {
            counts[b] += 1
        }
        while counts.reduce(0, +) > target,
              let b = counts.indices.filter({ counts[$0] > 1 }).min(by: { load($0) < load($1) }) {
            counts[b] -= 1
        }

        var skewDone = !skew
        var result: [CellRect] = []
        for (b, size) in bandRows.enumerated() {
            let jy1 = bandTops[b], jy0 = jy1 - size
            let columns = (rect.hx0..<rect.hx1).map { hx in (jy0..<jy1).reduce(0) { $0 + h(hx, $1) } }
            var widths = balancedSizes(columns, parts: counts[b])
            if !skewDone && widths.count >= 2 {
                skewDone = true
                let span = widths[0] + widths[1]
                let pairTotal = columns[0..<span].reduce(0, +)
                var bestCut = widths[0], bestError = Double.infinity
                var left = 0
                for cut in 1..<span {
                    left += columns[cut - 1]
                    let right = pairTotal - left
                    let ratio = Double(max(left, right)) / Double(max(1, min(left, right)))
                    let error = min(left, right) == 0 ? Double.infinity : abs(ratio - 2.5)
                    if error < bestError { bestError = error; bestCut = cut }
                }
                widths[0] = bestCut
                widths[1] = span - bestCut
            }
            var hx = rect.hx0
            for w in widths {
                result.append(CellRect(hx0: hx, hx1: hx + w, jy0: jy0, jy1: jy1))
                hx += w
            }
        }
        return result
    }

    /// Counter-clockwise closed ring of a cell rectangle through every grid corner on its edges,
    /// so that neighbouring rings share vertices exactly.
    func ring(_ r: CellRect, corners: Set<Int>) -> [Coordinate] {
        let stride = 2 * east + 1
        var points: [(Int, Int)] = []
        for hx in r.hx0..<r.hx1 where hx == r.hx0 || corners.contains(r.jy0 * stride + hx) { points.append((hx, r.jy0)) }
        for jy in r.jy0..<r.jy1 where jy == r.jy0 || corners.contains(jy * stride + r.hx1) { points.append((r.hx1, jy)) }
        for hx in Swift.stride(from: r.hx1, to: r.hx0, by: -1) where hx == r.hx1 || corners.contains(r.jy1 * stride + hx) {
            points.append((hx, r.jy1))
        }
        for jy in Swift.stride(from: r.jy1, to: r.jy0, by: -1) where jy == r.jy1 || corners.contains(jy * stride + r.hx0) {
            points.append((r.hx0, jy))
        }
        points.append(points[0])
        return points.map { coord(Double($0.0) * Layout.block / 2, Double($0.1) * Layout.block) }
    }

    /// Registered households for about one residential building in ten, one row per unit and floor.
    func buildRegister() -> [District.RegisterRow] {
        var rng = SplitMix64(seed: p.seed, stream: 5)
        let unitNames = (0...4).map { String($0) + "单元" }
        var rows: [District.RegisterRow] = []
        for (b, building) in buildings.enumerated() where building.households > 0 {
            guard rng.chance(0.1) else { continue }
            let spec = householdSpecs[b]
            for unit in 1...spec.units {
                for floor in 1...spec.levels {
                    rows.append(District.RegisterRow(
                        buildingWayID: building.wayID, unit: unitNames[unit], floor: floor,
                        households: floor == 1 ? spec.groundFloor : spec.perFloor))
                }
            }
        }
        return rows
    }
}

/// `count` split into `parts` sizes that differ by at most one, the larger ones at random positions.
func sizes(_ count: Int, into parts: Int, _ rng: inout SplitMix64) -> [Int] {
    var result = [Int](repeating: count / parts, count: parts)
    var order = Array(0..<parts)
    rng.shuffle(&order)
    for k in order.prefix(count % parts) { result[k] += 1 }
    return result
}

func starts(_ sizes: [Int]) -> [Int] {
    var result = [0]
    for s in sizes { result.append(result[result.count - 1] + s) }
    return result
}

/// Contiguous non-empty parts of `values` with sums as even as a greedy cut allows.
func balancedSizes(_ values: [Int], parts: Int) -> [Int] {
    let n = values.count
    let parts = min(max(1, parts), n)
    let weights = values.reduce(0, +) > 0 ? values : values.map { _ in 1 }
    var prefix = [0]
    for v in weights { prefix.append(prefix[prefix.count - 1] + v) }
    let total = Double(prefix[n])
    var result: [Int] = []
    var start = 0
    for m in 1..<parts {
        let target = total * Double(m) / Double(parts)
        var best = start + 1, bestError = Double.infinity
        for end in (start + 1)...(n - (parts - m)) {
            let error = abs(Double(prefix[end]) - target)
            if error < bestError { bestError = error; best = end }
        }
        result.append(best - start)
        start = best
    }
    result.append(n - start)
    return result
}

func pad3(_ value: Int) -> String {
    let s = String(value)
    return s.count >= 3 ? s : String(repeating: "0", count: 3 - s.count) + s
}
