import GridAnalysis
import GridStore
import Logging

/// The one place where errors of the layers below become HTTP problems: the store's typed errors by kind
/// (invalid 422, not found 404, conflict 409, locked or past the deadline 503), and the analysis' errors with
/// their parameter spelled as HTTP clients give it.
enum ProblemMapping {
    /// The problem for a store or analysis error; nil for anything else (an internal error, logged by the caller).
    static func problem(for error: any Error, logger: Logger? = nil, path: String = "") -> APIProblem? {
        if let error = error as? IsochroneError { return problem(for: error) }
        guard let error = StoreError.classify(error) else { return nil }
        let parameter = error.field.map(parameterName)
        let detail = error.message(spelling: parameterName)
        switch error.kind {
        case .invalid:
            return APIProblem.unprocessable("invalid-request", detail, parameter: parameter)
        case .notFound:
            var problem = APIProblem.notFound(detail)
            problem.parameter = parameter
            return problem
        case .conflict:
            return APIProblem.conflict(detail)
        case .locked:
            logger?.warning("store locked", metadata: ["path": .string(path)])
            return APIProblem.storeLocked
        case .deadlinePassed:
            return APIProblem.timeout
        case .internalError:
            return nil
        }
    }

    /// The HTTP spelling of a field the store names.
    static func parameterName(_ field: StoreError.Field) -> String {
        switch field {
        case .community: "community"
        case .coverageRun: "coverageRunId"
        case .category: "category"
        }
    }

    /// The HTTP parameter of an isochrone error, and its message starting with that name instead of the core's.
    static func problem(for error: IsochroneError) -> APIProblem {
        let parameter: String = switch error.parameter {
        case .origin: "lon"
        case .walkingSpeed: "speed"
        case .snapLimit: "profile"
        case .contours: "minutes"
        // The profile's own field names, as a profile object in the body spells them.
        case .facility, .category, .minutes, .meters, .offNetworkAllowance, .cellSize, .minimumHoleArea, .maximumCells:
            error.parameter.rawValue
        }
        var message = error.message
        // `speed` replaces the core's walkingSpeed; the other options come inside a profile, under their own names.
        let coreName = error.parameter.rawValue + ":"
        if error.parameter == .walkingSpeed, message.hasPrefix(coreName) { message = "speed:" + message.dropFirst(coreName.count) }
        return APIProblem.unprocessable("invalid-isochrone", message, parameter: parameter)
    }
}
