import { z } from 'zod';

// Argument shapes for Luna operations. lunash is a restricted shell: nothing from a ticket
// reaches it without matching one of these.

export const LunaName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'expected 1-32 letters, digits, "_", "." or "-"');
export const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'expected a host name or IPv4 address');
export const FirmwareVersion = z.string().regex(/^\d+\.\d+\.\d+$/, 'expected a firmware version such as 7.8.4');
