import GridStore

/// A run's parameters refused, naming the parameter by its run-vocabulary name (`GridRuns.Parameters.Field`):
/// the command line says its flag, the HTTP API reports the field.
public struct RunParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Field = GridRuns.Parameters.Field

    public enum Problem: Sendable, Equatable {
        /// Not 1 ≤ min ≤ max.
        case range(minimum: Int, maximum: Int)
        case gridCount(Int)
        case stability(Double)
        /// Not a highway class (ASCII letters, digits and _).
        case barrier(String)
        case unknownCommunity(String)
        case noCommunities
    }

    public var problem: Problem

    public init(_ problem: Problem) { self.problem = problem }

    /// The parameters at fault, the first the one to point at.
    public var fields: [Field] {
        switch problem {
        case .range: [.minimum, .maximum]
        case .gridCount: [.gridCount]
        case .stability: [.stability]
        case .barrier: [.barriers]
        case .unknownCommunity, .noCommunities: [.communities]
        }
    }

    public var field: Field { fields[0] }

    /// The message with the parameters named by `name` (a flag, a field).
    public func message(naming name: (Field) -> String) -> String {
        let named = fields.map(name).joined(separator: "/")
        switch problem {
        case .range(let minimum, let maximum): return "\(named): need 1 ≤ min ≤ max (got \(minimum), \(maximum))"
        case .gridCount(let count): return "\(named) must be at least 1 (got \(count))"
        case .stability(let value): return "\(named) must lie in [0, 1] (got \(value))"
        case .barrier(let name):
            return "\(named): \"\(name)\" is not a highway class (letters, digits and _; e.g. primary, secondary, trunk)"
        case .unknownCommunity(let code): return "\(named): no community \"\(code)\" in the store"
        case .noCommunities: return "the store has no communities; import them first"
        }
    }

    public var description: String { message(naming: \.rawValue) }
}
