/// Seconds since 1970-01-01T00:00:00Z: the one time scale of cases, events and deadlines.
public typealias Timestamp = Int64

/// A working calendar: the day's working periods, the working weekdays, holidays and adjusted working days
/// (调休), all data. Deadlines are counted in working time on it (CJ/T 315: limits in working hours or days).
public struct WorkingCalendar: Sendable, Hashable {
    /// Local time = UTC + this (Beijing: 480).
    public var utcOffsetMinutes: Int
    /// Working periods of a working day, minutes after local midnight, ascending and disjoint.
    public var periods: [(start: Int, end: Int)] { zip(periodStarts, periodEnds).map { ($0, $1) } }
    private var periodStarts: [Int]
    private var periodEnds: [Int]
    /// ISO weekdays that are working days (1 Monday … 7 Sunday).
    public var workingWeekdays: Set<Int>
    /// Days off although on a working weekday (day numbers since 1970-01-01).
    public var holidays: Set<Int>
    /// Working days although on a weekend (调休).
    public var workdays: Set<Int>

    public init(utcOffsetMinutes: Int, periods: [(start: Int, end: Int)], workingWeekdays: Set<Int>,
                holidays: Set<Int> = [], workdays: Set<Int> = []) throws(CaseError) {
        guard (-14 * 60...14 * 60).contains(utcOffsetMinutes) else {
            throw .badInput("calendar utcOffsetMinutes must be in [-840, 840], got \(utcOffsetMinutes)")
        }
        guard !periods.isEmpty else { throw .badInput("calendar workingHours must hold at least one period") }
        var last = -1
        for period in periods {
            guard period.start >= 0, period.end <= 24 * 60, period.start < period.end, period.start >= last else {
                throw .badInput("calendar workingHours must be ascending, disjoint periods within a day, got \(Self.clock(period.start))–\(Self.clock(period.end))")
            }
            last = period.end
        }
        guard !workingWeekdays.isEmpty, workingWeekdays.allSatisfy({ (1...7).contains($0) }) else {
            throw .badInput("calendar workingWeekdays must hold ISO weekdays 1 (Monday) to 7 (Sunday)")
        }
        self.utcOffsetMinutes = utcOffsetMinutes
        periodStarts = periods.map(\.start)
        periodEnds = periods.map(\.end)
        self.workingWeekdays = workingWeekdays
        self.holidays = holidays
        self.workdays = workdays
    }

    /// Beijing time, 09:00–12:00 and 13:30–17:30 Monday to Friday, no holidays (add them as data).
    public static let standard: WorkingCalendar = try! WorkingCalendar(
        utcOffsetMinutes: 480, periods: [(540, 720), (810, 1050)], workingWeekdays: [1, 2, 3, 4, 5])

    /// Working seconds of one working day.
    public var secondsPerDay: Int64 { Int64(zip(periodStarts, periodEnds).reduce(0) { $0 + $1.1 - $1.0 }) * 60 }

    public func isWorkingDay(_ day: Int) -> Bool {
        if workdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        return workingWeekdays.contains(Self.weekday(day))
    }

    /// The local day of an instant and the seconds since its local midnight.
    func local(_ t: Timestamp) -> (day: Int, second: Int64) {
        let shifted = t + Int64(utcOffsetMinutes) * 60
        let day = shifted >= 0 ? shifted / 86_400 : (shifted - 86_399) / 86_400
        return (Int(day), shifted - day * 86_400)
    }

    func instant(day: Int, second: Int64) -> Timestamp {
        Int64(day) * 86_400 + second - Int64(utcOffsetMinutes) * 60
    }

    /// Working seconds in [from, to] (0 when to ≤ from).
    public func workingSeconds(from: Timestamp, to: Timestamp) -> Int64 {
        guard to > from else { return 0 }
        let a = local(from), b = local(to)
        var total: Int64 = 0
        var day = a.day
        // Whole working days in between are counted without walking their periods.
        while day <= b.day {
            if isWorkingDay(day) {
                let low = day == a.day ? a.second : 0
                let high = day == b.day ? b.second : 86_400
                if low == 0 && high == 86_400 {
                    total += secondsPerDay
                } else {
                    for i in periodStarts.indices {
                        let s = max(Int64(periodStarts[i]) * 60, low), e = min(Int64(periodEnds[i]) * 60, high)
                        if e > s { total += e - s }
                    }
                }
            }
            day += 1
        }
        return total
    }

    /// The instant after `seconds` of working time from `start`. A calendar with no working day for ten years
    /// ahead gives nil.
    public func adding(workingSeconds seconds: Int64, to start: Timestamp) -> Timestamp? {
        var remaining = max(0, seconds)
        var (day, second) = local(start)
        let lastDay = day + 3660
        while day <= lastDay {
            if isWorkingDay(day) {
                for i in periodStarts.indices {
                    let s = max(Int64(periodStarts[i]) * 60, second), e = Int64(periodEnds[i]) * 60
                    guard e > s else { continue }
                    if remaining <= e - s {
                        return instant(day: day, second: s + remaining)
                    }
                    remaining -= e - s
                }
            }
            day += 1
            second = 0
        }
        return nil
    }

    /// Working seconds of a limit on this calendar.
    public func seconds(of limit: TimeLimit) -> Int64 {
        switch limit.unit {
        case .hours: Int64((limit.value * 3600).rounded())
        case .days: Int64((limit.value * Double(secondsPerDay)).rounded())
        }
    }

    // MARK: Civil dates

    /// ISO weekday (1 Monday … 7 Sunday) of a day number; 1970-01-01 was a Thursday.
    public static func weekday(_ day: Int) -> Int {
        let r = ((day % 7) + 7 + 3) % 7
        return r + 1
    }

    /// Day number of a civil date (proleptic Gregorian), after H. Hinnant's days_from_civil.
    public static func day(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Parses `YYYY-MM-DD` into a day number; nil for anything else or a date that does not exist.
    public static func parseDate(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1900...2200).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        let n = day(year: y, month: m, day: d)
        let back = civil(n)
        return back.month == m && back.day == d ? n : nil
    }

    public static func formatDate(_ day: Int) -> String {
        let c = civil(day)
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2)
    }

    /// `HH:MM` → minutes after midnight (24:00 allowed as a period's end).
    public static func parseClock(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    public static func clock(_ minutes: Int) -> String { pad(minutes / 60, 2) + ":" + pad(minutes % 60, 2) }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// ISO 8601 with the calendar's offset, e.g. 2026-03-02T09:30:00+08:00.
    public func format(_ t: Timestamp) -> String {
        let (day, second) = local(t)
        let sign = utcOffsetMinutes < 0 ? "-" : "+"
        let offset = abs(utcOffsetMinutes)
        return Self.formatDate(day) + "T" + Self.pad(Int(second / 3600), 2) + ":" + Self.pad(Int(second % 3600 / 60), 2) + ":"
            + Self.pad(Int(second % 60), 2) + sign + Self.pad(offset / 60, 2) + ":" + Self.pad(offset % 60, 2)
    }

    /// Parses ISO 8601 `YYYY-MM-DDTHH:MM:SS` with `Z` or `±HH:MM` (no offset: the calendar's), or a bare date
    /// (local midnight). nil for anything else.
    public func parseInstant(_ text: String) -> Timestamp? {
        if let day = Self.parseDate(text) { return instant(day: day, second: 0) }
        guard text.count >= 19, let t = text.firstIndex(of: "T") ?? text.firstIndex(of: " ") else { return nil }
        guard let day = Self.parseDate(String(text[..<t])) else { return nil }
        let rest = text[text.index(after: t)...]
        guard rest.count >= 8 else { return nil }
        let time = rest.prefix(8)
        let hms = time.split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 }), let h = Int(hms[0]), let m = Int(hms[1]), let s = Int(hms[2]),
              (0...23).contains(h), (0...59).contains(m), (0...60).contains(s) else { return nil }
        var zone = rest.dropFirst(8)
        if zone.hasPrefix(".") { zone = zone.drop { $0 == "." || $0.isNumber } }
        let offsetMinutes: Int
        if zone.isEmpty {
            offsetMinutes = utcOffsetMinutes
        } else if zone == "Z" {
            offsetMinutes = 0
        } else {
            guard zone.count == 6, let sign = zone.first, sign == "+" || sign == "-",
                  let oh = Int(zone.dropFirst().prefix(2)), let om = Int(zone.suffix(2)), zone.dropFirst(3).first == ":",
                  (0...14).contains(oh), (0...59).contains(om) else { return nil }
            offsetMinutes = (sign == "-" ? -1 : 1) * (oh * 60 + om)
        }
        return Int64(day) * 86_400 + Int64(h * 3600 + m * 60 + s) - Int64(offsetMinutes) * 60
    }
}

extension WorkingCalendar: Codable {
    struct Period: Codable { var start: String; var end: String }

    enum CodingKeys: String, CodingKey { case utcOffsetMinutes, workingHours, workingWeekdays, holidays, workdays }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let periods = try c.decode([Period].self, forKey: .workingHours)
        var parsed: [(start: Int, end: Int)] = []
        for period in periods {
            guard let s = Self.parseClock(period.start), let e = Self.parseClock(period.end) else {
                throw CaseError.badInput("calendar workingHours: \(period.start)–\(period.end) is not HH:MM–HH:MM")
            }
            parsed.append((s, e))
        }
        func days(_ key: CodingKeys) throws -> Set<Int> {
            var result: Set<Int> = []
            for text in try c.decodeIfPresent([String].self, forKey: key) ?? [] {
                guard let day = Self.parseDate(text) else { throw CaseError.badInput("calendar \(key.stringValue): \(text) is not a date YYYY-MM-DD") }
                result.insert(day)
            }
            return result
        }
        try self.init(utcOffsetMinutes: try c.decodeIfPresent(Int.self, forKey: .utcOffsetMinutes) ?? 480, periods: parsed,
                      workingWeekdays: Set(try c.decode([Int].self, forKey: .workingWeekdays)),
                      holidays: try days(.holidays), workdays: try days(.workdays))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(utcOffsetMinutes, forKey: .utcOffsetMinutes)
        try c.encode(periods.map { Period(start: Self.clock($0.start), end: Self.clock($0.end)) }, forKey: .workingHours)
        try c.encode(workingWeekdays.sorted(), forKey: .workingWeekdays)
        try c.encode(holidays.sorted().map(Self.formatDate), forKey: .holidays)
        try c.encode(workdays.sorted().map(Self.formatDate), forKey: .workdays)
    }

    public static func == (a: WorkingCalendar, b: WorkingCalendar) -> Bool {
        a.utcOffsetMinutes == b.utcOffsetMinutes && a.periodStarts == b.periodStarts && a.periodEnds == b.periodEnds
            && a.workingWeekdays == b.workingWeekdays && a.holidays == b.holidays && a.workdays == b.workdays
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(utcOffsetMinutes); hasher.combine(periodStarts); hasher.combine(periodEnds)
        hasher.combine(holidays); hasher.combine(workdays)
    }
}

/// A time limit in working hours or working days.
public struct TimeLimit: Codable, Sendable, Hashable {
    public enum Unit: String, Codable, Sendable { case hours, days }
    public var value: Double
    public var unit: Unit

    public init(value: Double, unit: Unit) throws(CaseError) {
        guard value.isFinite, value > 0, value <= 365 * 24 else {
            throw .badInput("a time limit must be a positive number of working \(unit.rawValue), got \(value)")
        }
        self.value = value
        self.unit = unit
    }

    public var text: String {
        let number = value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
        return number + (unit == .hours ? "h" : "d")
    }

    /// `4h`, `2d`, `1.5d`.
    public static func parse(_ text: String) -> TimeLimit? {
        guard let last = text.last, let unit: Unit = last == "h" ? .hours : last == "d" ? .days : nil,
              let value = Double(text.dropLast()) else { return nil }
        return try? TimeLimit(value: value, unit: unit)
    }
}
