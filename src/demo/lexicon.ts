// Vocabulary for the demo's synthetic English: a few hundred words in synonym groups.

export interface Verb { base: string; s: string; past: string; pp: string }
const v = (base: string, past: string, pp = past, s = base.endsWith('s') || base.endsWith('sh') || base.endsWith('ch') ? `${base}es` : base.endsWith('y') && !/[aeiou]y$/.test(base) ? `${base.slice(0, -1)}ies` : `${base}s`): Verb => ({ base, s, past, pp });

/** Transitive verbs taking a thing as object; each inner array is a synonym group. */
export const THING_VERBS: Verb[][] = [
  [v('buy', 'bought'), v('purchase', 'purchased')],
  [v('sell', 'sold')],
  [v('repair', 'repaired'), v('fix', 'fixed')],
  [v('build', 'built'), v('construct', 'constructed')],
  [v('find', 'found'), v('discover', 'discovered')],
  [v('clean', 'cleaned'), v('wash', 'washed')],
  [v('deliver', 'delivered'), v('bring', 'brought')],
  [v('examine', 'examined'), v('inspect', 'inspected'), v('check', 'checked')],
  [v('paint', 'painted')],
  [v('carry', 'carried'), v('move', 'moved')],
  [v('choose', 'chose', 'chosen'), v('select', 'selected'), v('pick', 'picked')],
  [v('cook', 'cooked'), v('prepare', 'prepared')],
  [v('plant', 'planted'), v('sow', 'sowed', 'sown')],
  [v('harvest', 'harvested'), v('gather', 'gathered'), v('collect', 'collected')],
  [v('lose', 'lost'), v('misplace', 'misplaced')],
  [v('steal', 'stole', 'stolen')],
  [v('order', 'ordered'), v('request', 'requested')],
  [v('borrow', 'borrowed')],
  [v('lend', 'lent')],
  [v('destroy', 'destroyed'), v('wreck', 'wrecked')],
  [v('open', 'opened')],
  [v('close', 'closed'), v('shut', 'shut')],
  [v('photograph', 'photographed')],
  [v('donate', 'donated'), v('give away', 'gave away', 'given away', 'gives away')],
];

/** Transitive verbs taking a person as object (so subject and object can be swapped). */
export const PERSON_VERBS: Verb[][] = [
  [v('help', 'helped'), v('assist', 'assisted'), v('support', 'supported')],
  [v('call', 'called'), v('phone', 'phoned'), v('ring', 'rang', 'rung')],
  [v('meet', 'met'), v('see', 'saw', 'seen')],
  [v('visit', 'visited')],
  [v('thank', 'thanked')],
  [v('pay', 'paid')],
  [v('hire', 'hired'), v('employ', 'employed')],
  [v('warn', 'warned'), v('alert', 'alerted')],
  [v('invite', 'invited')],
  [v('interview', 'interviewed'), v('question', 'questioned')],
  [v('teach', 'taught'), v('train', 'trained')],
  [v('follow', 'followed')],
  [v('criticise', 'criticised'), v('blame', 'blamed')],
  [v('praise', 'praised'), v('commend', 'commended')],
  [v('defeat', 'defeated'), v('beat', 'beat', 'beaten')],
  [v('contact', 'contacted'), v('reach', 'reached')],
];

export const NAMES = [
  'Alice', 'Bob', 'Carlos', 'Diana', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'James', 'Kofi', 'Lena', 'Maria',
  'Nadia', 'Omar', 'Priya', 'Quentin', 'Rosa', 'Samuel', 'Tariq', 'Uma', 'Victor', 'Wen', 'Yusuf', 'Zara', 'Peter',
  'Amara', 'Joseph', 'Mercy', 'Daniel',
];

/** People described by role; inner arrays are synonym groups. */
export const ROLES: string[][] = [
  ['the farmer', 'the grower'], ['the teacher', 'the instructor'], ['the doctor', 'the physician'],
  ['the mayor'], ['the manager', 'the supervisor'], ['the researcher', 'the scientist'], ['the driver'],
  ['the chef', 'the cook'], ['the student', 'the pupil'], ['the engineer'], ['the nurse'], ['the lawyer', 'the attorney'],
  ['the journalist', 'the reporter'], ['the neighbour'], ['the shopkeeper', 'the merchant'], ['the officer'],
  ['the company', 'the firm'], ['the committee', 'the panel'], ['the council'], ['the team', 'the group'],
];

export interface Noun { sg: string; pl: string }
const n = (sg: string, pl = sg.endsWith('s') || sg.endsWith('x') || sg.endsWith('ch') || sg.endsWith('sh') ? `${sg}es` : sg.endsWith('y') && !/[aeiou]y$/.test(sg) ? `${sg.slice(0, -1)}ies` : `${sg}s`): Noun => ({ sg, pl });

/** Things; inner arrays are synonym groups. */
export const THINGS: Noun[][] = [
  [n('tractor')], [n('bicycle'), n('bike')], [n('car'), n('automobile')], [n('boat')], [n('house'), n('home')],
  [n('book')], [n('letter')], [n('box'), n('crate')], [n('basket')], [n('bag'), n('sack')], [n('chair')], [n('table')],
  [n('window')], [n('door')], [n('fence')], [n('bridge')], [n('road')], [n('roof')], [n('garden')], [n('field')],
  [n('tree')], [n('flower')], [n('seed')], [n('bean')], [n('potato', 'potatoes')], [n('tomato', 'tomatoes')], [n('apple')],
  [n('loaf', 'loaves')], [n('cake')], [n('meal'), n('dinner')], [n('camera')], [n('computer'), n('laptop')],
  [n('phone')], [n('radio')], [n('painting'), n('picture')], [n('map')], [n('key')], [n('lamp'), n('light')],
  [n('clock')], [n('ticket')], [n('coat'), n('jacket')], [n('shoe')], [n('hat')], [n('knife', 'knives')], [n('bottle')],
  [n('report'), n('document')], [n('parcel'), n('package')], [n('goat')], [n('horse')], [n('sheep', 'sheep')],
];

/** Adjectives; inner arrays are synonym groups. */
export const ADJECTIVES: string[][] = [
  ['big', 'large'], ['small', 'little'], ['old', 'ancient'], ['new', 'brand-new'], ['red'], ['blue'], ['green'],
  ['yellow'], ['white'], ['black'], ['heavy'], ['light'], ['broken', 'damaged'], ['expensive', 'costly'],
  ['cheap', 'inexpensive'], ['beautiful', 'lovely'], ['wooden'], ['metal'], ['strange', 'unusual'], ['clean'],
  ['dirty', 'filthy'], ['fast', 'quick'], ['fresh'], ['wet', 'damp'], ['dry'], ['tall'], ['round'], ['famous', 'well-known'],
];

/** Place phrases; inner arrays are synonym groups. */
export const PLACES: string[][] = [
  ['in the village'], ['at the market', 'at the marketplace'], ['near the river', 'by the river'], ['in the city', 'in town'],
  ['at the school'], ['at the station'], ['in the garden'], ['on the farm'], ['at the harbour', 'at the port'],
  ['in the kitchen'], ['at the hospital', 'at the clinic'], ['in the museum'], ['behind the church'], ['at the airport'],
  ['in the library'], ['near the bridge', 'close to the bridge'], ['in the forest', 'in the woods'], ['at the factory', 'at the plant'],
  ['on the island'], ['in the north'], ['in the south'],
];

/** Time phrases; inner arrays are synonym groups (so a swap inside a group keeps the meaning). */
export const TIMES: string[][] = [
  ['on Monday'], ['on Tuesday'], ['on Wednesday'], ['on Thursday'], ['on Friday'], ['on Saturday'], ['on Sunday'],
  ['yesterday'], ['last week', 'the previous week'], ['last month', 'the previous month'], ['last year', 'the previous year'],
  ['in January'], ['in March'], ['in May'], ['in July'], ['in September'], ['in November'],
  ['at noon', 'at midday'], ['in the morning'], ['in the evening'], ['at night', 'during the night'], ['at dawn', 'at sunrise'],
];

export const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** Sentence-initial fillers that do not change the meaning. */
export const FILLERS = [
  'In fact,', 'Apparently,', 'Reportedly,', 'As expected,', 'According to witnesses,', 'Officials said that',
  'It was reported that', 'Sources said that', 'Indeed,', 'As it turned out,',
];

/** Extra words for corpus variety (intransitive verbs, adverbs, conjunctions). */
export const INTRANSITIVE: Verb[] = [
  v('arrive', 'arrived'), v('leave', 'left'), v('sleep', 'slept'), v('laugh', 'laughed'), v('work', 'worked'),
  v('wait', 'waited'), v('travel', 'travelled'), v('rest', 'rested'), v('sing', 'sang', 'sung'), v('smile', 'smiled'),
  v('run', 'ran', 'run'), v('walk', 'walked'), v('swim', 'swam', 'swum'), v('complain', 'complained'),
];
export const ADVERBS = ['quickly', 'slowly', 'carefully', 'quietly', 'happily', 'suddenly', 'early', 'late', 'again', 'together'];
