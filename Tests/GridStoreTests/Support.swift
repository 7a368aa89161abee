import Foundation
import GRDB
import GridStore
import Testing
// The helpers every test target shares (SharedData, TemporaryStore, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

extension ImportRules {
    /// The households rule without its non-residential exceptions (every `yes` building counted as housing), as it
    /// was when the Wudaokou grid cases and their figures were made: kept for those cases so they stay the same.
    static var everyBuildingAsHousing: ImportRules {
        var rules = ImportRules.default
        rules.households.nonResidentialAreas = nil
        rules.households.nonResidentialNames = nil
        rules.households.minimumFootprintSquareMeters = nil
        return rules
    }
}
