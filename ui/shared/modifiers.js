// Modifier groups of a product (central's `modifier_groups`) and what the chosen options
// add to one unit. The same rule as outlet_protocol/pricing.py `modifier_cents`: deltas are
// added after the promotion (never discounted); option names are unique per product. Pure.

import { toCents } from './money.js';

/** The product's groups; a product from before issue 14 has none. */
export function groupsOf(product) {
  return Array.isArray(product?.modifier_groups) ? product.modifier_groups : [];
}

/** Free-text modifiers of the seed's shape (`modifiers: ["extra cheese", …]`), no price. */
export function legacyOptions(product) {
  return (Array.isArray(product?.modifiers) ? product.modifiers : [])
    .map((m) => (typeof m === 'string' ? m : m?.name)).filter(Boolean);
}

/** Whether adding this product asks the customer something first. */
export function needsOptions(product) {
  return groupsOf(product).length > 0 || legacyOptions(product).length > 0 || product?.allow_notes === true;
}

/** Cents the chosen option names add to one unit; throws on an unknown option or min/max. */
export function modifierCents(product, chosen) {
  const groups = groupsOf(product);
  if (!groups.length) return 0;
  if (new Set(chosen).size !== chosen.length) throw new Error('an option is chosen twice');
  const price = new Map();
  for (const g of groups) for (const o of g.options) price.set(o.name, [g.name, toCents(o.price_delta ?? '0')]);
  for (const n of chosen) if (!price.has(n)) throw new Error(`no option ${n}`);
  for (const g of groups) {
    const n = chosen.filter((c) => price.get(c)[0] === g.name).length;
    if (n < g.min || n > g.max) throw new Error(`${g.name}: choose ${g.min}-${g.max}`);
  }
  return chosen.reduce((sum, n) => sum + price.get(n)[1], 0);
}

/** Whether each group's count is inside its min/max (the sheet's Add button waits for it). */
export function choicesComplete(product, chosen) {
  try { modifierCents(product, chosen); return true; } catch { return false; }
}
