import Foundation

/// Which hierarchy holds each controller on this host: a cgroup v1 hierarchy that has it,
/// else the v2 hierarchy when its root offers it (`cgroup.controllers`). Hosts mount v1 (each
/// controller under /sys/fs/cgroup/NAME), v2 (everything under /sys/fs/cgroup), or both, as
/// these machines do: v1 for cpu, cpuset and memory, v2 with none of those.
public struct CgroupHierarchy: Sendable, Equatable {
    /// The mount of each controller the host offers.
    public var mounts: [CgroupController: CgroupMount]

    public init(mounts: [CgroupController: CgroupMount]) {
        self.mounts = mounts
    }

    /// The host's, from /proc/self/mountinfo.
    public static func current() -> CgroupHierarchy {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return parse(mountInfo: text) { path in
            (try? String(contentsOfFile: path + "/cgroup.controllers", encoding: .utf8)) ?? ""
        }
    }

    /// The hierarchy described by `mountInfo` (the format of /proc/self/mountinfo);
    /// `v2Controllers` reads a v2 mount's `cgroup.controllers`.
    public static func parse(mountInfo: String, v2Controllers: (String) -> String) -> CgroupHierarchy {
        var mounts: [CgroupController: CgroupMount] = [:]
        var unified: String?
        for line in mountInfo.split(separator: "\n") {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let before = halves[0].split(separator: " ")
            let after = halves[1].split(separator: " ")
            guard before.count >= 5, after.count >= 3 else { continue }
            let mountPoint = unescape(String(before[4]))
            switch after[0] {
            case "cgroup":
                let options = Set(after[2].split(separator: ",").map(String.init))
                for controller in CgroupController.allCases where options.contains(controller.rawValue) && mounts[controller] == nil {
                    mounts[controller] = CgroupMount(version: .v1, path: mountPoint)
                }
            case "cgroup2":
                if unified == nil { unified = mountPoint }
            default:
                continue
            }
        }
        if let unified {
            let offered = Set(v2Controllers(unified).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            for controller in CgroupController.allCases where mounts[controller] == nil && offered.contains(controller.rawValue) {
                mounts[controller] = CgroupMount(version: .v2, path: unified)
            }
        }
        return CgroupHierarchy(mounts: mounts)
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
