import Foundation

/// A department that handles cases (城管, 环卫, 市政, 民政…).
public struct Department: Codable, Sendable, Hashable {
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// What a case is about: its department, its limits, its priority, and the facility category it concerns if it
/// takes a facility out of service. 部件 (component: a thing that is broken) or 事件 (event: something that happens).
public struct CaseCategory: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable { case component, event }

    public var code: String
    public var nameZh: String
    public var nameEn: String
    public var kind: Kind
    public var department: String
    public var handlingLimit: TimeLimit
    public var checkingLimit: TimeLimit
    /// 1 urgent … 3 ordinary.
    public var priority: Int
    /// A facility category of the life-circle profile (clinic, kindergarten…) when the case concerns one.
    public var facilityCategory: String?

    public var limits: StepLimits { StepLimits(handling: handlingLimit, checking: checkingLimit) }

    enum CodingKeys: String, CodingKey {
        case code, nameZh, nameEn, kind, department, handlingLimit, checkingLimit, priority, facilityCategory
    }

    public init(code: String, nameZh: String, nameEn: String, kind: Kind, department: String, handlingLimit: TimeLimit,
                checkingLimit: TimeLimit, priority: Int, facilityCategory: String?) {
        self.code = code
        self.nameZh = nameZh
        self.nameEn = nameEn
        self.kind = kind
        self.department = department
        self.handlingLimit = handlingLimit
        self.checkingLimit = checkingLimit
        self.priority = priority
        self.facilityCategory = facilityCategory
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let code = try c.decode(String.self, forKey: .code)
        self.code = code
        nameZh = try c.decode(String.self, forKey: .nameZh)
        nameEn = try c.decode(String.self, forKey: .nameEn)
        kind = try c.decode(Kind.self, forKey: .kind)
        department = try c.decode(String.self, forKey: .department)
        func limit(_ key: CodingKeys) throws -> TimeLimit {
            // `code` is the local constant: self is not initialised yet.
            let text = try c.decode(String.self, forKey: key)
            guard let limit = TimeLimit.parse(text) else {
                throw CaseError.badInput("category \(code): \(key.stringValue) must be working hours or days like 4h or 2d, got \(text)")
            }
            return limit
        }
        handlingLimit = try limit(.handlingLimit)
        checkingLimit = try limit(.checkingLimit)
        priority = try c.decode(Int.self, forKey: .priority)
        facilityCategory = try c.decodeIfPresent(String.self, forKey: .facilityCategory)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(nameZh, forKey: .nameZh)
        try c.encode(nameEn, forKey: .nameEn)
        try c.encode(kind, forKey: .kind)
        try c.encode(department, forKey: .department)
        try c.encode(handlingLimit.text, forKey: .handlingLimit)
        try c.encode(checkingLimit.text, forKey: .checkingLimit)
        try c.encode(priority, forKey: .priority)
        try c.encodeIfPresent(facilityCategory, forKey: .facilityCategory)
    }
}

/// Departments and case categories together: the data a store's cases are registered against.
public struct CaseCatalog: Codable, Sendable, Hashable {
    public var name: String
    public var departments: [Department]
    public var categories: [CaseCategory]

    public init(name: String, departments: [Department], categories: [CaseCategory]) throws(CaseError) {
        self.name = name
        self.departments = departments
        self.categories = categories
        try check()
    }

    public func category(_ code: String) -> CaseCategory? { categories.first { $0.code == code } }

    /// Codes unique and not empty, every category's department listed, priorities 1–3.
    public func check() throws(CaseError) {
        var seen: Set<String> = []
        for department in departments {
            guard !department.code.isEmpty, department.code.count <= 40, seen.insert(department.code).inserted else {
                throw .badInput("department code \(department.code.isEmpty ? "(empty)" : department.code) is empty, too long or listed twice")
            }
        }
        var codes: Set<String> = []
        for category in categories {
            guard !category.code.isEmpty, category.code.count <= 40, codes.insert(category.code).inserted else {
                throw .badInput("category code \(category.code.isEmpty ? "(empty)" : category.code) is empty, too long or listed twice")
            }
            guard seen.contains(category.department) else {
                throw .badInput("category \(category.code): department \(category.department) is not among the departments")
            }
            guard (1...3).contains(category.priority) else {
                throw .badInput("category \(category.code): priority must be 1 (urgent), 2 or 3 (ordinary), got \(category.priority)")
            }
        }
        guard !categories.isEmpty else { throw .badInput("a case catalog holds at least one category") }
    }

    /// Reads a catalog file; the error names the file and what is wrong.
    public static func decode(_ data: Data, file: String) throws(CaseError) -> CaseCatalog {
        let catalog: CaseCatalog
        do {
            catalog = try JSONDecoder().decode(CaseCatalog.self, from: data)
        } catch let error as CaseError {
            throw .badInput("\(file): \(error.description)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw .badInput("\(file): \(context.codingPath.map(\.stringValue).joined(separator: ".")) lacks \(key.stringValue)")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw .badInput("\(file): \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw .badInput("\(file): \(error)")
        }
        do { try catalog.check() } catch { throw .badInput("\(file): \(error.description)") }
        return catalog
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The shipped catalog (`shippedJSON`), the one a new store starts with.
    public static let shipped: CaseCatalog = try! decode(Data(shippedJSON.utf8), file: "shipped case categories")
}
