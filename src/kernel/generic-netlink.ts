// Generic netlink (linux/genetlink.h): the family header, and resolving a family's id and multicast
// groups by name through the controller (CTRL_CMD_GETFAMILY), as `genl ctrl get name` does.
import {
  attributeMap, attributeString, attributeUint, encodeMessage, NLM_F_ACK, NLM_F_REQUEST, parseAttributes,
  replyMessages, stringAttribute,
} from './netlink-frame.js';

export const GENL_HDRLEN = 4;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const CTRL_ATTR_MCAST_GROUPS = 7;
const CTRL_ATTR_MCAST_GRP_NAME = 1;
const CTRL_ATTR_MCAST_GRP_ID = 2;

export interface GenericFamily {
  name: string;
  id: number;
  version: number;
  /** Multicast group ids by name. */
  groups: Map<string, number>;
}

/** struct genlmsghdr (cmd, version, reserved) followed by attributes. */
export function encodeGenericPayload(command: number, version: number, attributes: Buffer[]): Buffer {
  const header = Buffer.alloc(GENL_HDRLEN);
  header.writeUInt8(command, 0);
  header.writeUInt8(version, 1);
  return Buffer.concat([header, ...attributes]);
}

/** The generic header of a message payload, and its attributes' bytes. */
export function splitGenericPayload(payload: Buffer): { command: number; version: number; attributes: Buffer } | undefined {
  if (payload.length < GENL_HDRLEN) return undefined;
  return { command: payload.readUInt8(0), version: payload.readUInt8(1), attributes: payload.subarray(GENL_HDRLEN) };
}

export function encodeGetFamilyRequest(name: string): Buffer {
  return encodeMessage(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, encodeGenericPayload(CTRL_CMD_GETFAMILY, 1, [stringAttribute(CTRL_ATTR_FAMILY_NAME, name)]));
}

/** Decodes the controller's reply; throws NetlinkRequestError (ENOENT: no such family on this kernel). */
export function decodeGetFamilyReply(bytes: Buffer, name: string): GenericFamily {
  const { messages } = replyMessages(bytes, `generic netlink family ${name}`);
  for (const message of messages) {
    if (message.type !== GENL_ID_CTRL) continue;
    const generic = splitGenericPayload(message.payload);
    if (!generic) continue;
    const attributes = attributeMap(generic.attributes);
    const id = attributes.get(CTRL_ATTR_FAMILY_ID);
    if (!id) continue;
    const groups = new Map<string, number>();
    const nested = attributes.get(CTRL_ATTR_MCAST_GROUPS);
    // An array of nested groups, each {name, id}; the outer attribute types are indexes.
    for (const group of nested ? parseAttributes(nested) : []) {
      const fields = attributeMap(group.value);
      const groupName = fields.get(CTRL_ATTR_MCAST_GRP_NAME);
      const groupId = fields.get(CTRL_ATTR_MCAST_GRP_ID);
      if (groupName && groupId) groups.set(attributeString(groupName), attributeUint(groupId)!);
    }
    const familyName = attributes.get(CTRL_ATTR_FAMILY_NAME);
    const version = attributes.get(CTRL_ATTR_VERSION);
    return {
      name: familyName ? attributeString(familyName) : name,
      id: attributeUint(id)!,
      version: version ? attributeUint(version) ?? 0 : 0,
      groups,
    };
  }
  throw new Error(`generic netlink family ${name}: the controller's reply has no family id`);
}
