extension GridPartition {
    /// What a partition could not do, as values: a caller names the buildings its own way (store ids, register
    /// rows) without reading text back.
    public enum Warning: Sendable, Hashable, CustomStringConvertible {
        /// A disconnected part of the adjacency graph (numbered from 1) below the minimum: it stays one grid.
        case partBelowMinimum(part: Int, buildings: Int, households: Int)
        /// A building (index in the problem) alone above the maximum: its grid cannot be in range.
        case buildingAboveMaximum(building: Int, households: Int, maximum: Int)

        public var description: String { text(building: { "building \($0)" }) }

        /// The sentence, with buildings named by `building` (given the problem's index).
        public func text(building name: (Int) -> String) -> String {
            switch self {
            case .partBelowMinimum(let part, let buildings, let households):
                "disconnected part \(part) (\(buildings) buildings, \(households) households) is below the minimum and stays one grid"
            case .buildingAboveMaximum(let building, let households, let maximum):
                "\(name(building)) alone has \(households) households, above the maximum \(maximum); its grid cannot be in range"
            }
        }
    }
}

extension GridPartition.Result {
    /// The warnings as sentences, buildings named by their index in the problem.
    public var warnings: [String] { typedWarnings.map(\.description) }
}
