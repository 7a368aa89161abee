import Foundation
import GridModel

/// A year of a street office's cases, made up deterministically from a seed: the load the grid's daily loop is
/// measured with. Categories come at their usual shares for the channel that reports them (grid workers find
/// vending, parking and broken street furniture on their rounds; residents and the 12345 hotline report rubbish,
/// noise, disputes and elderly neighbours), arrivals follow working hours for grid workers and waking hours for
/// everyone else, with fewer in winter and around the Spring Festival. Most cases close within their limits; some
/// are voided, returned to the dispatcher, extended, suspended or reworked after a failed check.
///
/// Every event is made by `CaseTimeline.next` and applied by the replay's own step, so a generated log never holds
/// a transition the machine would refuse. Events after the year's end are not made: the cases of the last days stay open.
public enum CaseYear {
    /// Who reports (the store's `reporter_kind` vocabulary).
    public enum Channel: String, Sendable, CaseIterable {
        case gridWorker = "grid_worker", resident, hotline = "hotline_12345", other
    }

    /// Who performs an action; the store resolves roles to worker codes.
    public enum Role: String, Sendable, Hashable {
        /// The reporting channel (a grid worker, the hotline, a resident's app).
        case reporter
        case dispatcher
        /// Staff of the category's department.
        case department
        /// The grid worker of the case's grid, who checks it.
        case gridWorker = "grid_worker"
        /// Approves extensions.
        case supervisor
    }

    /// Where cases can happen.
    public struct Places: Sendable {
        /// Building representative points with their households (residents report where people live).
        public var buildings: [(point: Coordinate, households: Int)]
        /// Walkable street segments (street furniture, parking, vending happen along them).
        public var streets: [(from: Coordinate, to: Coordinate, length: Double)]
        /// Facilities by category (a category that takes one out of service is reported at one).
        public var facilities: [String: [Coordinate]]

        public init(buildings: [(point: Coordinate, households: Int)], streets: [(from: Coordinate, to: Coordinate, length: Double)],
                    facilities: [String: [Coordinate]]) {
            self.buildings = buildings
            self.streets = streets
            self.facilities = facilities
        }
    }

    public struct Step: Sendable, Hashable {
        public var action: CaseAction
        public var at: Timestamp
        public var role: Role
        public var note: String?
        /// For `extend`: the working hours granted.
        public var extensionHours: Int?
    }

    /// One generated case: what the report says, and the steps taken on it within the year.
    public struct Case: Sendable {
        public var category: String
        public var description: String
        public var point: Coordinate
        public var channel: Channel
        public var reporter: String?
        public var media: [String]
        public var at: Timestamp
        public var steps: [Step]
    }

    /// The usual share of each shipped category per channel (per mille; a category not listed gets 5).
    static let shares: [Channel: [String: Double]] = [
        .gridWorker: ["street-vending": 230, "illegal-parking": 200, "refuse-pile": 190, "street-light": 70, "road-damage": 60,
                      "manhole-cover": 30, "green-damage": 60, "refuse-point": 40, "illegal-building": 40, "elderly-visit": 50,
                      "noise": 10, "neighbour-dispute": 10, "service-station-closed": 3, "elderly-care-closed": 2, "clinic-closed": 2,
                      "kindergarten-closed": 1],
        .hotline: ["noise": 170, "refuse-pile": 150, "illegal-parking": 120, "street-light": 90, "neighbour-dispute": 90,
                   "street-vending": 70, "road-damage": 60, "elderly-visit": 60, "illegal-building": 50, "green-damage": 40,
                   "refuse-point": 40, "manhole-cover": 30, "service-station-closed": 6, "elderly-care-closed": 4, "clinic-closed": 6,
                   "kindergarten-closed": 4],
        .resident: ["refuse-pile": 200, "noise": 150, "street-light": 120, "illegal-parking": 110, "neighbour-dispute": 80,
                    "road-damage": 70, "green-damage": 60, "street-vending": 50, "elderly-visit": 60, "refuse-point": 50,
                    "manhole-cover": 30, "illegal-building": 20, "service-station-closed": 4, "elderly-care-closed": 3, "clinic-closed": 3,
                    "kindergarten-closed": 3],
        .other: ["refuse-pile": 200, "road-damage": 150, "street-light": 150, "green-damage": 120, "manhole-cover": 80,
                 "illegal-parking": 100, "street-vending": 100, "noise": 50, "illegal-building": 50],
    ]
    static let channelShares: [(Channel, Double)] = [(.gridWorker, 0.58), (.hotline, 0.24), (.resident, 0.14), (.other, 0.04)]
    /// Categories that happen along streets; the others at buildings (a component category not known here: street).
    static let streetCategories: Set<String> = ["street-light", "manhole-cover", "road-damage", "illegal-parking", "street-vending", "green-damage"]
    /// Arrivals per hour of the local day, relative.
    static let hourly: [Channel: [Double]] = [
        .gridWorker: [0, 0, 0, 0, 0, 0, 0, 0.3, 2, 8, 10, 9, 3, 4, 9, 10, 9, 4, 1, 0, 0, 0, 0, 0],
        .hotline: [0.4, 0.2, 0.2, 0.2, 0.2, 0.3, 0.8, 2, 5, 8, 9, 8, 5, 6, 8, 8, 7, 6, 5, 5, 5, 4, 3, 1],
        .resident: [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 1, 3, 5, 5, 5, 5, 5, 4, 4, 5, 5, 6, 7, 8, 9, 7, 4, 2],
        .other: [0, 0, 0, 0, 0, 0, 0.5, 2, 6, 8, 8, 7, 4, 5, 8, 8, 7, 4, 1, 0.5, 0, 0, 0, 0],
    ]
    /// Relative volume by month (January … December): fewer in winter and at the Spring Festival, most in summer.
    static let monthly: [Double] = [0.78, 0.7, 0.92, 1.0, 1.05, 1.14, 1.2, 1.18, 1.06, 0.95, 0.92, 0.84]
    static let descriptions: [String: [String]] = [
        "street-light": ["路灯不亮", "路灯白天常亮", "灯杆倾斜", "路灯闪烁"],
        "manhole-cover": ["井盖缺失", "井盖破损", "井盖松动有响声", "井盖下沉"],
        "road-damage": ["人行道砖松动", "路面坑洼", "盲道破损", "路缘石损坏"],
        "green-damage": ["树木倒伏", "绿地被踩踏", "树枝遮挡路灯", "绿篱缺株"],
        "refuse-pile": ["楼门口垃圾堆积", "暴露垃圾", "装修垃圾乱堆", "垃圾桶满溢"],
        "refuse-point": ["垃圾收集点未清运", "垃圾桶缺失", "收集点污水外溢"],
        "illegal-parking": ["机动车占用人行道", "共享单车乱停放", "车辆堵塞消防通道"],
        "street-vending": ["流动摊贩占道经营", "店外经营", "早点摊占道"],
        "illegal-building": ["楼顶私搭乱建", "违规圈占绿地", "私建彩钢房"],
        "elderly-visit": ["独居老人多日未出门", "老人需要上门探访", "高龄老人生活困难"],
        "neighbour-dispute": ["楼上漏水引发纠纷", "楼道堆物纠纷", "宠物扰邻纠纷"],
        "noise": ["夜间施工噪声", "广场舞音响过大", "商铺外放音响"],
    ]

    /// Generates `count` cases registered in `year` (local time of `calendar`), ordered by registration time.
    public static func generate(catalog: CaseCatalog, calendar: WorkingCalendar, places: Places, year: Int, count: Int,
                                seed: UInt64) throws(CaseError) -> [Case] {
        guard (1970...2200).contains(year) else { throw .badInput("year must be in [1970, 2200], got \(year)") }
        guard count >= 0, count <= 5_000_000 else { throw .badInput("the number of cases must be in [0, 5000000], got \(count)") }
        guard !places.buildings.isEmpty || !places.streets.isEmpty else { throw .badInput("the store has neither buildings nor a walking network to place cases on") }
        var random = SplitMix64(seed: seed)
        let firstDay = WorkingCalendar.day(year: year, month: 1, day: 1), endDay = WorkingCalendar.day(year: year + 1, month: 1, day: 1)
        let end = calendar.instant(day: endDay, second: 0)

        // Categories each channel can report here (a facility category needs such a facility).
        let usable = catalog.categories.filter { c in
            guard let facility = c.facilityCategory else { return c.kind == .event ? !places.buildings.isEmpty : true }
            return !(places.facilities[facility] ?? []).isEmpty
        }
        guard !usable.isEmpty else { throw .badInput("no category of the catalog can be placed in this store") }
        let categoryTables = Dictionary(uniqueKeysWithValues: Channel.allCases.map { channel in
            (channel, Cumulative(usable.map { shares[channel]?[$0.code] ?? 5 }))
        })
        let channels = Cumulative(channelShares.map(\.1))
        let dayTables = Dictionary(uniqueKeysWithValues: Channel.allCases.map { channel in
            (channel, Cumulative((firstDay..<endDay).map { day in
                let civil = WorkingCalendar.civil(day)
                let working = calendar.isWorkingDay(day)
                let factor: Double = switch channel {
                case .gridWorker, .other: working ? 1 : 0.12
                case .hotline: working ? 1 : 1.1
                case .resident: working ? 1 : 1.3
                }
                return monthly[civil.month - 1] * factor
            }))
        })
        let hourTables = Dictionary(uniqueKeysWithValues: Channel.allCases.map { ($0, Cumulative(hourly[$0]!)) })
        let buildingTable = Cumulative(places.buildings.map { Double(max($0.households, 0)) + 2 })
        let streetTable = Cumulative(places.streets.map { max($0.length, 0) })

        var cases: [Case] = []
        cases.reserveCapacity(count)
        for _ in 0..<count {
            let channel = channelShares[channels.pick(&random)].0
            let category = usable[categoryTables[channel]!.pick(&random)]
            let day = firstDay + dayTables[channel]!.pick(&random)
            let second = Int64(hourTables[channel]!.pick(&random)) * 3600 + Int64(random.below(3600))
            let at = calendar.instant(day: day, second: second)
            let point: Coordinate
            if let facility = category.facilityCategory, let sites = places.facilities[facility], !sites.isEmpty {
                point = sites[random.below(sites.count)]
            } else if places.buildings.isEmpty || (!places.streets.isEmpty && isStreet(category)) {
                let street = places.streets[streetTable.pick(&random)]
                let f = random.unit()
                point = Coordinate(longitude: street.from.longitude + f * (street.to.longitude - street.from.longitude),
                                   latitude: street.from.latitude + f * (street.to.latitude - street.from.latitude))
            } else {
                // Near the building's representative point, within about 10 m.
                let b = places.buildings[buildingTable.pick(&random)].point
                point = Coordinate(longitude: b.longitude + (random.unit() - 0.5) * 0.00024, latitude: b.latitude + (random.unit() - 0.5) * 0.00018)
            }
            let texts = descriptions[category.code] ?? [category.nameZh]
            let reporter: String? = switch channel {
            case .gridWorker: nil
            case .hotline: "12345"
            case .resident: ["王女士", "李先生", "张女士", "刘先生", "陈女士", "杨先生", "赵女士", "居民"][random.below(8)]
            case .other: ["物业公司", "社区民警", "志愿者"][random.below(3)]
            }
            let photo = channel == .gridWorker || random.unit() < 0.3
            cases.append(Case(category: category.code, description: texts[random.below(texts.count)], point: point, channel: channel,
                              reporter: reporter, media: [], at: at, steps: []))
            if photo { cases[cases.count - 1].media = ["photo:\(calendar.format(at).prefix(10))/\(random.next() % 1_000_000)"] }
        }
        // Registration order (ties by generation order): the order the store numbers the cases in.
        cases = cases.indices.sorted { (cases[$0].at, $0) < (cases[$1].at, $1) }.map { cases[$0] }
        let byCode = Dictionary(uniqueKeysWithValues: catalog.categories.map { ($0.code, $0) })
        for i in cases.indices {
            cases[i].steps = try lifecycle(of: cases[i], category: byCode[cases[i].category]!, calendar: calendar, end: end, random: &random)
        }
        return cases
    }

    static func isStreet(_ category: CaseCategory) -> Bool {
        streetCategories.contains(category.code) || (category.kind == .component && !category.code.hasPrefix("refuse") && category.facilityCategory == nil
            && !["illegal-building"].contains(category.code))
    }

    /// The steps taken on one case, each checked by the machine; none at or after `end`.
    static func lifecycle(of item: Case, category: CaseCategory, calendar: WorkingCalendar, end: Timestamp,
                          random: inout SplitMix64) throws(CaseError) -> [Step] {
        var timeline = try CaseTimeline.replay([CaseEvent(action: .register, from: nil, to: .registered, at: item.at, actor: "")],
                                               limits: category.limits, calendar: calendar)
        var steps: [Step] = []
        var now = item.at
        let urgent = category.priority == 1
        let handling = Double(calendar.seconds(of: category.handlingLimit)), checking = Double(calendar.seconds(of: category.checkingLimit))
        /// Takes `action` after `seconds` of working time; false once the year is over.
        func act(_ action: CaseAction, after seconds: Double, _ role: Role, note: String? = nil, hours: Int? = nil) throws(CaseError) -> Bool {
            guard let at = calendar.adding(workingSeconds: Int64(max(60, seconds)), to: now), at < end else { return false }
            let event = try timeline.next(action, at: at, actor: role.rawValue, note: note, extensionSeconds: hours.map { Int64($0) * 3600 })
            try timeline.apply(event, index: timeline.events, limits: category.limits, calendar: calendar)
            steps.append(Step(action: action, at: event.at, role: role, note: note, extensionHours: hours))
            now = event.at
            return true
        }
        func minutes(_ low: Double, _ high: Double) -> Double { (low + (high - low) * random.unit()) * 60 }

        // 作废: not a case (a duplicate, not the office's, nothing found).
        if random.unit() < 0.05 {
            _ = try act(.void, after: minutes(10, 120), .dispatcher, note: ["重复上报", "不属于受理范围", "核实无此问题"][random.below(3)])
            return steps
        }
        guard try act(.dispatch, after: urgent ? minutes(2, 20) : minutes(5, 90), .dispatcher) else { return steps }
        // 回退: sent back as another department's; dispatched again, or voided.
        if random.unit() < 0.07 {
            guard try act(.return, after: minutes(30, 240), .department, note: "非本部门职责") else { return steps }
            if random.unit() < 0.2 {
                _ = try act(.void, after: minutes(10, 120), .dispatcher, note: "经核实不予立案")
                return steps
            }
            guard try act(.dispatch, after: minutes(10, 90), .dispatcher, note: "重新派遣") else { return steps }
        }
        guard try act(.accept, after: urgent ? minutes(2, 30) : minutes(5, 120), .department) else { return steps }
        // 挂账: cannot be solved now (money, several departments); resumed weeks later, or still on the books.
        if random.unit() < 0.04 {
            guard try act(.suspend, after: minutes(60, 480), .department, note: "需多部门协调，暂时挂账") else { return steps }
            guard try act(.resume, after: Double(calendar.secondsPerDay) * Double(5 + random.below(40)), .dispatcher) else { return steps }
            guard try act(.accept, after: minutes(10, 120), .department) else { return steps }
        }
        var round = 0
        while true {
            round += 1
            // Handling time as a share of the limit: most in time, some extended, some late.
            let draw = random.unit()
            let limit = Double(timeline.stepLimitSeconds ?? Int64(handling))
            let elapsed = Double(calendar.workingSeconds(from: timeline.stepStartedAt ?? now, to: now))
            if draw < 0.15 && round == 1 {
                let granted = max(1, Int((handling * (0.5 + 0.5 * random.unit()) / 3600).rounded()))
                guard try act(.extend, after: max(60, limit * (0.5 + 0.25 * random.unit()) - elapsed), .supervisor,
                              note: "申请延期获批", hours: granted) else { return steps }
                let total = Double(timeline.stepLimitSeconds ?? Int64(limit))
                let used = Double(calendar.workingSeconds(from: timeline.stepStartedAt ?? now, to: now))
                guard try act(.feedback, after: total * (0.75 + 0.3 * random.unit()) - used, .department) else { return steps }
            } else {
                let share = draw < 0.21 ? 1.05 + random.unit() : 0.1 + 0.7 * random.unit()
                guard try act(.feedback, after: limit * share - elapsed, .department) else { return steps }
            }
            guard try act(.check, after: checking * (0.05 + 0.3 * random.unit()), .gridWorker) else { return steps }
            let late = random.unit() < 0.04
            let verdictAfter = checking * (late ? 0.9 + random.unit() : 0.05 + 0.4 * random.unit())
            if round < 3 && random.unit() < (round == 1 ? 0.18 : 0.25) {
                guard try act(.rework, after: verdictAfter, .gridWorker, note: "核查未通过，返工") else { return steps }
                continue
            }
            _ = try act(.close, after: verdictAfter, .gridWorker)
            return steps
        }
    }
}

/// Picks an index with probability proportional to its weight (binary search in the running sums).
struct Cumulative {
    let sums: [Double]

    init(_ weights: [Double]) {
        var total = 0.0
        sums = weights.map { total += max(0, $0); return total }
    }

    func pick(_ random: inout SplitMix64) -> Int {
        guard let total = sums.last, total > 0 else { return 0 }
        let x = random.unit() * total
        var low = 0, high = sums.count - 1
        while low < high {
            let mid = (low + high) / 2
            if sums[mid] > x { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
