import ArgumentParser
import Foundation
import NFVCatalog
import NFVDataplane
import NFVDescriptors
import NFVIsolation
import NFVNetlink
import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// `spec.resources`: the memory account (`--check-resources`) and the chain's cgroup.
extension NFVDataplaneCommand {
    /// `--check-resources`: the footprint report, exit 3 when it does not fit the memory limit.
    static func checkResources(_ loaded: LoadedChain) throws {
        let footprint: ChainFootprint
        do { footprint = try ChainFootprint.measure(loaded) } catch {
            FileHandle.standardError.write(Data("nfv-dataplane: \(error)\n".utf8))
            throw ExitCode(2)
        }
        sayLine(footprint.report)
        guard let resources = loaded.descriptor.resources, let limit = resources.memoryBytes else {
            sayLine("no memory limit (spec.resources.memory) to check against")
            return
        }
        if let refusal = footprint.refusal(limit: limit, location: resources.location) {
            sayLine("refused: " + refusal)
            throw ExitCode(3)
        }
        sayLine("fits: \(ChainResources.describe(bytes: limit)) memory limit")
    }

    /// Makes the chain's cgroup from `spec.resources`, refusing a chain whose pools and tables
    /// would not fit its memory limit, and moves this process in; nil without `spec.resources`.
    ///
    /// `takingOver`: the cgroup holds the running data plane too until the move ends, so its
    /// memory limit leaves room for both meanwhile (what the running one uses plus this one's
    /// reservation); `settleMemoryLimit` writes the chain's own limit once the old one ended.
    static func enterCgroup(_ loaded: LoadedChain, takingOver: Bool = false) throws -> ChainCgroup? {
        guard let resources = loaded.descriptor.resources else { return nil }
        let cgroup: ChainCgroup
        do {
            cgroup = try ChainCgroup(chain: loaded.descriptor.name, resources: resources)
            var reserved: UInt64 = 0
            if let limit = resources.memoryBytes {
                // Measured now, while this process runs no other thread (see ChainFootprint).
                let footprint = try ChainFootprint.measure(loaded)
                if let refusal = footprint.refusal(limit: limit, location: resources.location) {
                    FileHandle.standardError.write(Data("nfv-dataplane: \(refusal)\n".utf8))
                    throw ExitCode(3)
                }
                reserved = footprint.totalBytes
            }
            let predecessorUsage = takingOver ? (cgroup.memoryUsage ?? 0) : 0
            try cgroup.create()
            if let limit = resources.memoryBytes, takingOver {
                try cgroup.setMemoryLimit(max(limit, predecessorUsage + reserved))
            }
            try cgroup.join()
        } catch let error as IsolationError {
            FileHandle.standardError.write(Data("nfv-dataplane: cgroup: \(error)\n".utf8))
            ChainCgroup.remove(chain: loaded.descriptor.name)
            throw ExitCode(1)
        } catch let error as LiveChainError {
            FileHandle.standardError.write(Data("nfv-dataplane: \(error)\n".utf8))
            throw ExitCode(1)
        }
        sayLine(
            "cgroup: \(cgroup.directories.joined(separator: ", ")) (\(ChainChanges.resourceSummary(resources)); "
                + "cgroup \(cgroup.hierarchy.mounts.values.contains { $0.version == .v2 } ? "v2" : "v1"))")
        return cgroup
    }
}
