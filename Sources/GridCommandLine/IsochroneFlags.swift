import ArgumentParser
import GridAnalysis

/// The isochrone options' flags (`isochrone`, `communitygrid-bench isochrone`), as the core's errors name them.
public enum IsochroneFlags {
    /// The core's message with its parameter spelled as the commands' flag.
    public static func flagged(_ error: any Error) -> any Error {
        guard let error = error as? IsochroneError else { return error }
        let flag: String? = switch error.parameter {
        case .minutes: "--minutes"
        case .meters: "--meters"
        case .contours: "--minutes/--meters"
        case .walkingSpeed: "--speed"
        case .offNetworkAllowance: "--allowance"
        case .cellSize: "--cell-size"
        case .minimumHoleArea: "--min-hole-area"
        case .snapLimit: "--profile"
        case .origin, .facility, .category, .maximumCells: nil
        }
        let name = error.parameter.rawValue + ":"
        guard let flag, error.message.hasPrefix(name) else { return ValidationError(error.message) }
        return ValidationError(flag + ":" + error.message.dropFirst(name.count))
    }
}
