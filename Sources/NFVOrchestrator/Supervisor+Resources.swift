import Foundation
import NFVCatalog
import NFVDescriptors
import NFVIsolation

#if canImport(Glibc)
    import Glibc
#endif

extension Supervisor {
    /// Refuses, before anything is recorded or started, a chain whose `spec.resources` this
    /// host cannot give (a controller it does not mount, a CPU it does not have) or whose packet
    /// pools and tables would not fit its memory limit. The data plane measures that itself
    /// (`nfv-dataplane --check-resources`: the same build that would run, in a process of its
    /// own); messages name the user's file, line and column.
    func checkResources(_ snapshot: ChainSnapshot, desired: LoadedChain) throws(OperationError) {
        guard let resources = desired.descriptor.resources else { return }
        let name = desired.descriptor.name
        let source = snapshot.chainFile.sourcePath
        let directory = staging(name)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let frozen: (chain: String, overrides: [String: String])
        do { frozen = try snapshot.freeze(into: directory) } catch {
            throw OperationError("cannot write the chain's files: \(error)", status: 500)
        }
        func inUserFile(_ text: String) -> String { text.replacingOccurrences(of: frozen.chain, with: source) }
        do { _ = try ChainCgroup(chain: name, resources: resources) } catch {
            throw OperationError("chain \(name): " + inUserFile(error.description), status: 409)
        }
        guard resources.memoryBytes != nil else { return }
        var arguments = [frozen.chain, "--check-resources"]
        for (stage, file) in frozen.overrides.sorted(by: { $0.key < $1.key }) { arguments += ["--stage-config", "\(stage)=\(file)"] }
        let output = directory + "/check-resources.txt"
        let status: Int32
        do {
            let pid = try ProcessSpawner.spawn(dataplane, arguments, logPath: output)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        } catch {
            throw OperationError("chain \(name): cannot check its memory: \(error)", status: 500)
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        switch status {
        case 0:
            return
        case 3:
            let refusal = text.split(separator: "\n").first { $0.hasPrefix("refused: ") }.map { String($0.dropFirst(9)) } ?? text
            throw OperationError(inUserFile(refusal), status: 409)
        default:
            throw OperationError("chain \(name): cannot check its memory (exit status \(status)): " + inUserFile(text), status: 500)
        }
    }

    /// The chain's limits, and while it runs what its cgroup counts.
    func resourceView(_ name: String, _ resources: ChainResources, running: Bool) -> ChainStatus.Resources {
        var view = ChainStatus.Resources(limits: ChainChanges.resourceSummary(resources))
        guard running, let cgroup = try? ChainCgroup(chain: name, resources: resources) else { return view }
        view.memoryUsedBytes = cgroup.memoryUsage
        view.memoryLimitBytes = cgroup.memoryLimit
        if let cpu = cgroup.cpuThrottling {
            view.cpuPeriods = cpu.periods
            view.cpuThrottledPeriods = cpu.throttled
            view.cpuThrottledSeconds = cpu.seconds
        }
        return view
    }
}
