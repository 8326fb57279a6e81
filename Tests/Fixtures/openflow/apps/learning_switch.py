"""A learning switch for os-ken (OpenFlow 1.3), the way os-ken's own example apps write one:
a table-miss flow sends to the controller; each packet-in teaches the source MAC's port;
a known destination gets a flow (in_port, eth_src, eth_dst -> output) and the packet goes
out there, an unknown one is flooded. Every packet-in is logged (in_port src dst) to
$PACKET_IN_LOG so the test can see which pairs still reach the controller, and every port
status (reason port config state)."""

import os

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib.packet import ethernet, packet
from os_ken.ofproto import ofproto_v1_3


class LearningSwitch(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ports = {}
        self.log = open(os.environ["PACKET_IN_LOG"], "a", buffering=1)

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def features(self, event):
        datapath = event.msg.datapath
        parser, ofproto = datapath.ofproto_parser, datapath.ofproto
        to_controller = [parser.OFPActionOutput(ofproto.OFPP_CONTROLLER, ofproto.OFPCML_NO_BUFFER)]
        datapath.send_msg(
            parser.OFPFlowMod(
                datapath=datapath, priority=0, match=parser.OFPMatch(),
                instructions=[parser.OFPInstructionActions(ofproto.OFPIT_APPLY_ACTIONS, to_controller)]))
        self.log.write("features %x\n" % datapath.id)

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, event):
        message = event.msg
        datapath = message.datapath
        parser, ofproto = datapath.ofproto_parser, datapath.ofproto
        in_port = message.match["in_port"]
        frame = packet.Packet(message.data).get_protocols(ethernet.ethernet)[0]
        self.log.write("packet_in %d %s %s\n" % (in_port, frame.src, frame.dst))
        self.ports[frame.src] = in_port
        out_port = self.ports.get(frame.dst, ofproto.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofproto.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=in_port, eth_src=frame.src, eth_dst=frame.dst)
            datapath.send_msg(
                parser.OFPFlowMod(
                    datapath=datapath, priority=1, match=match,
                    instructions=[parser.OFPInstructionActions(ofproto.OFPIT_APPLY_ACTIONS, actions)]))
        datapath.send_msg(
            parser.OFPPacketOut(
                datapath=datapath, buffer_id=ofproto.OFP_NO_BUFFER, in_port=in_port, actions=actions, data=message.data))

    @set_ev_cls(ofp_event.EventOFPPortStatus, MAIN_DISPATCHER)
    def port_status(self, event):
        port = event.msg.desc
        self.log.write("port_status %d %d %d %d\n" % (event.msg.reason, port.port_no, port.config, port.state))
